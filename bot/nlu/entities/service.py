"""Service mentions → catalog ids: every place a known service name occurs, overlapping ones included.

The matcher is an Aho–Corasick automaton (pyahocorasick): one pass over the text finds every pattern at
every position, so 办社保卡 and 社保卡 both come back and the span filter learnt from the annotations
chooses between them. A service name matches wherever its characters occur, whatever a word segmenter
would have made of the words around it.

Why not spaCy's SpanRuler, which this once was (on spaCy's character segmenter): it found exactly the same
spans, but `import spacy` loads spaCy's command line, thinc, typer, rich and requests: a serving worker
held 305 MB with it and 239 MB without (`bench/memory_bench.py`), for what is a substring search.
`tests/nlu/test_service_matcher.py` checks the two still agree on the training data.
"""

from __future__ import annotations

from collections.abc import Mapping

import ahocorasick

from bot.nlu.entities.base import Found

EXTRACTOR = "ServiceMatcher"


class ServiceMatcher:
    """Finds every service mention in normalised text (overlaps included) with its catalog id."""

    def __init__(self, patterns: Mapping[str, str]) -> None:
        self._automaton: ahocorasick.Automaton | None = None
        usable = {surface: sid for surface, sid in patterns.items() if surface}
        if usable:
            automaton = ahocorasick.Automaton()
            for surface, sid in usable.items():
                automaton.add_word(surface, (len(surface), sid))
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str) -> list[Found]:
        """Every service mention, overlapping ones included, in order of where they start."""
        if not text or self._automaton is None:
            return []
        found = [Found("service", last + 1 - length, last + 1, sid, EXTRACTOR)
                 for last, (length, sid) in self._automaton.iter(text)]
        return sorted(found, key=lambda f: (f.start, f.end))
