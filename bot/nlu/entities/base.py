"""What every entity rule returns: a typed span of the normalised text with its normalised value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Found:
    """An entity found in normalised text; offsets are mapped back to the original by the extractor.

    An empty `value` means "as the resident said it": the extractor uses the original words.
    """

    entity: str
    start: int
    end: int
    value: str | int
    extractor: str = "RegexEntityExtractor"

    @property
    def length(self) -> int:
        """Characters covered, used to prefer the longer of two overlapping finds."""
        return self.end - self.start
