"""A bug or a broken model never leaves a resident unanswered: the message is kept and staff take over."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.engine import InboundMessage
from tests.conftest import FixedClock, db_rows

INBOUND = "SELECT text FROM messages WHERE direction = 'in'"


class BrokenNlu:
    def parse(self, text: str, now: Any = None) -> Any:
        raise RuntimeError("model file corrupted")


def _say(settings: Settings, nlu: Any, retriever: Any, text: str) -> Any:
    async def run() -> Any:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=FixedClock())
        try:
            return await runtime.dialogue.handle(InboundMessage(sender="s1", text=text, message_id="x1"))
        finally:
            await runtime.close()

    return asyncio.run(run())


def test_a_broken_nlu_still_gets_a_polite_clarifying_reply(settings: Settings, retriever: Any) -> None:
    result = _say(settings, BrokenNlu(), retriever, "高龄津贴要带什么材料")
    assert result.replies and "没太明白" in result.replies[0].text
    assert db_rows(settings.database_url, INBOUND) == [("高龄津贴要带什么材料",)]


def test_a_failing_action_hands_the_conversation_to_staff(
    settings: Settings, nlu: Any, retriever: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from actions.catalog_answer import ActionAnswerCatalog

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug in an action")

    monkeypatch.setattr(ActionAnswerCatalog, "run", boom)
    result = _say(settings, nlu, retriever, "高龄津贴要带什么材料")
    assert "工作人员" in result.replies[0].text
    assert db_rows(settings.database_url, INBOUND) == [("高龄津贴要带什么材料",)]
    assert db_rows(settings.database_url, "SELECT reason FROM escalations") == [("error",)]
    assert db_rows(settings.database_url, "SELECT status FROM conversations") == [("handoff",)]
