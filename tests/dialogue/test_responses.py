"""Replies as data: every response the code names exists, and every response reads as Chinese."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.dialogue.domain import Domain

_NAME = re.compile(r"^utter_[a-z0-9_]+$")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "nlu_data" / "domain.yml")


def _named_in_code() -> dict[str, str]:
    """Every `utter_…` string constant in the runtime code, with where it is."""
    found: dict[str, str] = {}
    for folder in ("actions", "bot", "knowledge"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # Pieces of f-strings (f"utter_ask_{slot}") are prefixes, checked by the form tests below.
            pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
            for node in ast.walk(tree):
                if id(node) in pieces:
                    continue
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME.match(node.value):
                    found.setdefault(node.value, f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    return found


def test_every_response_the_code_uses_exists(domain: Domain) -> None:
    missing = {name: where for name, where in _named_in_code().items() if not domain.has_response(name)}
    assert not missing, f"responses used but not defined: {missing}"


def test_every_form_slot_has_a_question(domain: Domain) -> None:
    actions = set(domain.actions)
    for form, spec in domain.forms.items():
        for slot in spec.required_slots:
            asks = {f"action_ask_{form}_{slot}", f"action_ask_{slot}"}
            assert asks & actions or domain.has_response(f"utter_ask_{slot}"), f"{form} cannot ask for {slot}"


def test_every_form_and_its_slots_have_names_residents_understand(domain: Domain) -> None:
    """Repair asks "哪一项要改？" with a label a slot and names the task set aside."""
    for form, spec in domain.forms.items():
        assert domain.has_response(f"utter_task_{form}"), form
        for slot in spec.required_slots:
            assert domain.has_response(f"utter_label_{slot}"), slot


def test_no_english_in_what_residents_read(domain: Domain) -> None:
    leaks = []
    for name, variants in domain.responses.items():
        for v in variants:
            texts = [v.get("text", ""), *(b.get("title", "") for b in v.get("buttons", []))]
            for text in texts:
                bare = re.sub(r"\{[a-z_]+\}", "", text)
                if _ENGLISH_WORD.search(bare):
                    leaks.append(f"{name}: {text}")
    assert not leaks, leaks


def test_a_response_defined_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text("responses:\n  utter_x:\n    - text: 一\n", encoding="utf-8")
    (tmp_path / "responses").mkdir()
    (tmp_path / "responses" / "more.yml").write_text("responses:\n  utter_x:\n    - text: 二\n", encoding="utf-8")
    from bot.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="utter_x"):
        Domain.load(tmp_path / "domain.yml")
