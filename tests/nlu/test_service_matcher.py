"""The service matcher finds every mention of a service name, and exactly what spaCy's SpanRuler found.

The matcher was once spaCy's SpanRuler on spaCy's character segmenter; it is now an Aho–Corasick automaton
because importing spaCy cost every serving worker about 65 MB (`bot/nlu/entities/service.py`). The
comparison runs the old ruler, built as it was, over the project's own training data and catalog.
"""

from __future__ import annotations

import sys

import pytest

from bot.config import PROJECT_ROOT
from bot.nlu.domain_terms import collect_terms
from bot.nlu.entities.service import ServiceMatcher
from bot.nlu.normalize import normalize_text
from bot.nlu.training_data import load_training_data


def test_overlapping_mentions_all_come_back_with_their_ids() -> None:
    matcher = ServiceMatcher({"社保卡": "social-security-card", "办社保卡": "social-security-card",
                              "高龄津贴": "elderly-allowance", "津贴": "allowance"})
    found = [(f.start, f.end, f.value) for f in matcher.find("我想办社保卡还有高龄津贴")]
    assert found == [(2, 6, "social-security-card"), (3, 6, "social-security-card"),
                     (8, 12, "elderly-allowance"), (10, 12, "allowance")]


def test_a_name_said_twice_is_found_twice_and_nothing_is_found_without_names() -> None:
    matcher = ServiceMatcher({"助浴": "bathing-assistance"})
    assert [(f.start, f.end) for f in matcher.find("助浴助浴")] == [(0, 2), (2, 4)]
    assert matcher.find("") == []
    assert ServiceMatcher({}).find("助浴") == []


def _spacy_ruler(patterns: dict[str, str]):  # type: ignore[no-untyped-def]
    """The ruler as `bot/nlu/entities/service.py` built it before: a blank zh pipeline, char segmenter."""
    hidden = "torch" not in sys.modules
    if hidden:  # thinc would import torch, which a blank pipeline never uses
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        spacy = pytest.importorskip("spacy")
    finally:
        if hidden and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "service"})
    ruler.add_patterns([{"label": "service", "pattern": s, "id": sid} for s, sid in sorted(patterns.items())])
    return nlp


def test_the_project_data_gives_the_spans_spacy_gave() -> None:
    data = load_training_data(PROJECT_ROOT / "nlu_data")
    patterns = collect_terms(data, PROJECT_ROOT / "knowledge" / "catalog").service_patterns
    assert len(patterns) > 200
    texts = sorted({normalize_text(ex.text) for ex in data.examples} | set(patterns)
                   | {"", "社保卡社保卡", "wifi密码忘了 社保卡", "a高龄津贴b"})
    ruler = _spacy_ruler(patterns)
    matcher = ServiceMatcher(patterns)
    differ = []
    for text in texts:
        doc = ruler(text)
        theirs = sorted((s.start_char, s.end_char, s.id_) for s in doc.spans["service"]) if text else []
        ours = sorted((f.start, f.end, f.value) for f in matcher.find(text))
        if ours != theirs:
            differ.append((text, ours, theirs))
    assert len(texts) > 3000
    assert differ == []
