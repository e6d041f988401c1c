"""Clean-up of raw resident text before anything else sees it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Control and invisible characters, and lone surrogates (a JSON "\\ud800" decodes to one, and no
# database can store it as UTF-8).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff\ud800-\udfff]")


@dataclass(frozen=True)
class CleanText:
    """The text to work with and what was done to it."""

    text: str
    truncated: bool
    empty: bool
    symbols_only: bool


def clean(raw: str, max_chars: int) -> CleanText:
    """Drop control characters, trim, truncate; say whether anything readable is left."""
    text = _CONTROL.sub("", raw or "").strip()
    truncated = len(text) > max_chars
    if truncated:
        text = text[:max_chars]
    empty = not text
    readable = any(unicodedata.category(ch)[0] in "LN" for ch in text)
    return CleanText(text=text, truncated=truncated, empty=empty, symbols_only=not empty and not readable)
