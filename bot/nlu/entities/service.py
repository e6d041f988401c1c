"""Service mentions → catalog ids, with a spaCy `zh` pipeline and a rule-based span ruler.

The ruler is spaCy's SpanRuler, the component EntityRuler is built on, writing to `doc.spans` rather
than `doc.ents`: it keeps overlapping matches (办社保卡 and 社保卡), and the span filter learnt from the
annotations chooses between them. The pipeline uses spaCy's character segmenter rather than jieba: a
service name then matches wherever its characters occur, whatever jieba would have made of the words
around it, and it is faster (see `bench/nlu_bench.py --segmenters`).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from bot.nlu.entities.base import Found

_IMPORT_LOCK = threading.Lock()


def import_spacy() -> ModuleType:
    """Import spaCy without its thinc layer importing torch, which a blank pipeline never uses.

    thinc imports torch eagerly when it is installed: 1.2 s and ~180 MB more for `import spacy`. If torch
    is already loaded (the retrieval encoder uses it) nothing is hidden and nothing is saved.
    """
    with _IMPORT_LOCK:
        if "spacy" in sys.modules:
            return sys.modules["spacy"]
        hide = "torch" not in sys.modules
        if hide:
            sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import spacy
        finally:
            if hide and sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
        return spacy


SPANS_KEY = "service"


def blank_pipeline(segmenter: str = "char") -> Any:
    """A blank spaCy Chinese pipeline with the given segmenter (`char` or `jieba`)."""
    spacy = import_spacy()
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": segmenter}}})


class ServiceMatcher:
    """Finds every service mention in normalised text (overlaps included) with its catalog id."""

    def __init__(self, patterns: Mapping[str, str], segmenter: str = "char") -> None:
        self._nlp: Any = blank_pipeline(segmenter)
        self._patterns = bool(patterns)
        ruler = self._nlp.add_pipe("span_ruler", config={"spans_key": SPANS_KEY})
        ruler.add_patterns(
            [{"label": "service", "pattern": surface, "id": sid} for surface, sid in sorted(patterns.items())]
        )
        # spaCy adds strings to the shared vocabulary while parsing; one doc at a time keeps that safe.
        self._lock = threading.Lock()

    def find(self, text: str) -> list[Found]:
        """Every service mention, overlapping ones included."""
        if not text or not self._patterns:
            # Data without services (a public intent set): spaCy would warn on every message.
            return []
        with self._lock:
            doc = self._nlp(text)
            return [Found("service", s.start_char, s.end_char, s.id_, "SpanRuler") for s in doc.spans[SPANS_KEY]]
