"""WeChat's size limit: a text message holds at most 2048 bytes (UTF-8), so long replies are cut in parts.

Parts end at a sentence end (。！？ or a line break) where one fits, so no part stops mid-sentence; only a
single sentence longer than the limit is cut inside, at a character boundary.
"""

from __future__ import annotations

import re

MAX_BYTES = 2048
# After each sentence end, keeping the mark (and a closing quote) with its sentence.
_SENTENCE = re.compile(r"(?<=[。！？!?；;\n])(?![”’」』）)])")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(sentence: str, limit: int) -> list[str]:
    """A sentence too long for one message, cut at character boundaries."""
    out, part = [], ""
    for char in sentence:
        if _size(part + char) > limit:
            out.append(part)
            part = ""
        part += char
    return [*out, part] if part else out


def split_text(text: str, limit: int = MAX_BYTES) -> list[str]:
    """The text in parts of at most `limit` UTF-8 bytes, cut at sentence ends where possible."""
    if _size(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE.split(text) if s):
        if _size(current + sentence) <= limit:
            current += sentence
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = ""
        if _size(sentence) > limit:
            *whole, current = _cut(sentence, limit)
            parts.extend(whole)
        else:
            current = sentence.lstrip("\n")
    if current.strip():
        parts.append(current.rstrip())
    return parts
