"""The engine refuses to start when the domain, the registered actions and the policy disagree."""

from __future__ import annotations

from typing import Any

import pytest

from actions import action_registry
from bot.bootstrap import build_runtime
from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.agreement import disagreements
from bot.dialogue.domain import Domain
from bot.dialogue.engine import DialogueEngine
from bot.dialogue.policy import RULES
from bot.errors import ConfigurationError
from tests.conftest import FixedClock

DOMAIN = Domain.load(PROJECT_ROOT / "nlu_data" / "domain.yml")


def test_the_shipped_domain_actions_and_policy_agree() -> None:
    assert disagreements(DOMAIN, action_registry().keys(), RULES) == []


def test_a_form_whose_submit_action_is_missing_stops_the_start(settings: Settings, nlu: Any, retriever: Any,
                                                                clock: FixedClock) -> None:
    runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
    actions = {k: v for k, v in action_registry().items() if k != "action_submit_request"}
    with pytest.raises(ConfigurationError, match="request_form has no registered action action_submit_request"):
        DialogueEngine(settings=settings, sessionmaker=runtime.sessionmaker, services=runtime.services, nlu=nlu,
                       domain=DOMAIN, actions=actions, communities=runtime.services.communities)  # type: ignore[arg-type]


def test_every_kind_of_disagreement_is_named(tmp_path: Any) -> None:
    (tmp_path / "domain.yml").write_text(
        "intents: [greet, sign_up]\n"
        "slots: {name: {type: text}}\n"
        "forms: {signup_form: {required_slots: [name, phone]}}\n"
        "actions: [action_submit_signup, action_forgotten]\n"
        "responses: {utter_greet: [{text: 您好}]}\n", encoding="utf-8")
    (tmp_path / "rules.yml").write_text(
        "rules:\n  - rule: r\n    steps: [{intent: sign_on}, {action: signon_form}, {active_loop: signon_form}]\n",
        encoding="utf-8")
    domain = Domain.load(tmp_path / "domain.yml")
    problems = "\n".join(disagreements(domain, ["action_submit_signup", "action_unlisted"],
                                       {"greet": "utter_greet", "thank": "utter_thanks"}))
    assert "signup_form requires slot phone" in problems
    assert "lists action action_forgotten" in problems
    assert "action_unlisted is registered but not listed" in problems
    assert "no such form" in problems and "intent sign_on" in problems
    assert "answers thank with utter_thanks" in problems
    assert "greet" not in problems
