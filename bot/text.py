"""The text facts every layer shares: what a Chinese character is, width and case folding, traditional →
simplified, and which pinyin sounds residents and speech-to-text confuse.

Each was written out several times before, with different ranges and different pinyin tables, so the
classifier and the service search heard the same slip differently. They live here once, at the bottom
layer: this module imports nothing from the rest of the project.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["CJK", "fold_syllable", "fold_width_case", "is_cjk", "is_latin_alnum", "to_simplified"]

# Chinese characters as a regex character-class body ([{CJK}]): the unified ideographs, extension A (rare
# characters, some of them in people's names) and the compatibility ideographs.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))

# The confusions of regional accents and of speech-to-text that hears them: z/zh, c/ch, s/sh, n/l, r/l
# and f/h at the start of a syllable, in/ing, en/eng, an/ang at its end. Each pair folds onto one sound.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("h", "f"))
# Syllables that are a nasal alone (嗯 n, ng; 呣 m; 哼 hm, hng): no initial or final to fold.
_BARE_NASALS = frozenset({"n", "ng", "m", "hm", "hng"})


def is_cjk(ch: str) -> bool:
    """Whether one character is a Chinese character."""
    return len(ch) == 1 and any(lo <= ord(ch) <= hi for lo, hi in _CJK_BLOCKS)


def is_latin_alnum(ch: str) -> bool:
    """Whether one character is an ASCII letter or digit (part of a Latin word or a number)."""
    return ch.isascii() and ch.isalnum()


def fold_width_case(text: str) -> str:
    """Full-width letters, digits and punctuation as half-width (NFKC), and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=1)
def _t2s() -> Any:
    """The OpenCC traditional → simplified converter, built on first use (14 ms)."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s, 25 µs a message)."""
    return text if text.isascii() else str(_t2s().convert(text))


def fold_syllable(syllable: str) -> str:
    """A toneless pinyin syllable with the accent confusions folded together: 津 jin and 经 jing both
    read `jin`, 报 bao and 保 bao alike, 日 ri as `li`."""
    s = syllable.lower().replace("ü", "v")
    if not s or s in _BARE_NASALS:
        return s
    for a, b in _INITIALS:
        if s.startswith(a):
            s = b + s[len(a):]
            break
    if s.endswith("ng") and not s.endswith("ong"):
        s = s[:-1]
    return s
