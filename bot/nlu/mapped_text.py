"""Text that remembers where each of its characters came from in the original message.

Normalisation deletes fillers, folds widths and turns 八十二 into 82; entities are found in that
normalised text but must be reported with offsets into what the resident actually wrote. Every edit goes
through `MappedText.edit`, which carries the offsets along.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MappedText:
    """`text` with, for each character, the [start, end) span of the original it stands for."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    original: str

    @classmethod
    def of(cls, original: str) -> MappedText:
        """The identity mapping of a message."""
        n = len(original)
        return cls(original, tuple(range(n)), tuple(range(1, n + 1)), original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original [start, end) covered by the normalised [start, end)."""
        if not self.text:
            return (0, 0)
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        if start == end:
            pos = self.starts[start] if start < len(self.text) else self.ends[-1]
            return (pos, pos)
        return (self.starts[start], self.ends[end - 1])

    def original_text(self, start: int, end: int) -> str:
        """The original characters behind a normalised span."""
        s, e = self.span(start, end)
        return self.original[s:e]

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> MappedText:
        """Replace non-overlapping [start, end) ranges with new strings, keeping the offset map.

        An equal-length replacement maps character by character; otherwise every new character stands
        for the whole replaced range.
        """
        ordered = sorted(edits)
        if not ordered:
            return self
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for s, e, new in ordered:
            if s < pos:
                raise ValueError("overlapping edits")
            out.append(self.text[pos:s])
            starts.extend(self.starts[pos:s])
            ends.extend(self.ends[pos:s])
            if new:
                out.append(new)
                if len(new) == e - s:
                    starts.extend(self.starts[s:e])
                    ends.extend(self.ends[s:e])
                elif e > s:
                    starts.extend([self.starts[s]] * len(new))
                    ends.extend([self.ends[e - 1]] * len(new))
                else:  # an insertion stands at the position it was inserted
                    anchor = self.starts[s] if s < len(self.text) else (self.ends[-1] if self.text else 0)
                    starts.extend([anchor] * len(new))
                    ends.extend([anchor] * len(new))
            pos = e
        out.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        return MappedText("".join(out), tuple(starts), tuple(ends), self.original)

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str | None]) -> MappedText:
        """Like `re.sub`, with offsets kept; a callable returning None leaves that match alone."""
        edits = []
        for m in pattern.finditer(self.text):
            new = repl if isinstance(repl, str) else repl(m)
            if new is not None and new != m.group(0):
                edits.append((m.start(), m.end(), new))
        return self.edit(edits)

    def map_chars(self, fn: Callable[[str], str]) -> MappedText:
        """Apply a per-character function (which may delete or expand a character)."""
        edits = []
        for i, ch in enumerate(self.text):
            new = fn(ch)
            if new != ch:
                edits.append((i, i + 1, new))
        return self.edit(edits)
