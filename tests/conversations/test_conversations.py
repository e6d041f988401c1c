"""Every conversation in this folder, on every suite date (a Friday, a Saturday, a Sunday and a public
holiday), played through the real engine on a fixed clock and a fresh database each.

`linli test conversations` runs the same files and prints task success per category and persona.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.conversation_tests import SUITE_DATES, Conversation, Harness, load_conversations
from tests.conftest import _base_settings

CONVERSATIONS = load_conversations([Path(__file__).parent])


@pytest.fixture(scope="module")
def harness(model_dir: Path, nlu: Any, retriever: Any) -> Iterator[Harness]:
    """NLU, retriever, catalog and a migrated database template, shared by every conversation."""
    h = Harness(_base_settings(model_dir=model_dir), nlu=nlu, retriever=retriever)
    yield h
    h.close()


@pytest.mark.parametrize("day", SUITE_DATES, ids=lambda d: d.isoformat())
@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda c: c.name)
def test_conversation(harness: Harness, conversation: Conversation, day: dt.date) -> None:
    outcome = asyncio.run(harness.run(conversation, day))
    assert outcome.passed, "\n".join([*outcome.failures, "— transcript —", *outcome.transcript])


def test_the_suite_is_large_and_varied_enough() -> None:
    """At least 200 conversations: about 40 % elderly voice, 15 % rural, the rest typed."""
    personas = [c.persona for c in CONVERSATIONS]
    assert len(CONVERSATIONS) >= 200, len(CONVERSATIONS)
    assert personas.count("elderly_voice") / len(personas) >= 0.35
    assert personas.count("rural") / len(personas) >= 0.12


def test_every_intent_is_checked_in_some_conversation() -> None:
    """Each intent of the domain is the expected reading of at least one resident turn."""
    from bot.config import PROJECT_ROOT
    from bot.dialogue.domain import Domain

    domain = Domain.load(PROJECT_ROOT / "nlu_data" / "domain.yml")
    checked = {step.expect.intent for c in CONVERSATIONS for step in c.steps if step.expect.intent}
    assert set(domain.raw["intents"]) <= checked, set(domain.raw["intents"]) - checked
