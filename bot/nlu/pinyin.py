"""Toneless, accent-tolerant pinyin for each character: 津 and 经 both read `jin`.

Residents who speak with a regional accent, and the speech-to-text that hears them, confuse z/zh, c/ch,
s/sh, n/l, r/l, f/h and in/ing, en/eng, an/ang. Folding those pairs together makes homophone slips
(高龄经贴, 低宝, 社宝卡) look like the words they stand for. The table is built from pypinyin when a model is
trained and stored with it, so parsing never imports pypinyin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("r", "l"), ("h", "f"))

PinyinTable = Mapping[str, tuple[str, ...]]


def fuzzy_syllable(syllable: str) -> str:
    """A toneless syllable with the accent confusions folded together."""
    s = syllable.lower().replace("ü", "v")
    if not s or s in ("ng", "n", "m", "hm", "hng"):
        return s
    for a, b in _INITIALS:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    if s.endswith("ng") and not s.endswith("ong"):
        s = s[:-1]
    return s


def build_table(chars: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Every CJK character's fuzzy readings, most common first (needs pypinyin; used when training)."""
    from pypinyin import Style
    from pypinyin.pinyin_dict import pinyin_dict
    from pypinyin.style import convert

    wanted = None if chars is None else {ord(c) for c in chars}
    table: dict[str, tuple[str, ...]] = {}
    for code, readings in sorted(pinyin_dict.items()):
        if wanted is not None and code not in wanted:
            continue
        if not (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF):
            continue
        out: list[str] = []
        for r in readings.split(","):
            plain = convert(r, Style.NORMAL, strict=False)
            fz = fuzzy_syllable(plain)
            if fz and fz not in out:
                out.append(fz)
        if out:
            table[chr(code)] = tuple(out)
    return table


def word_syllables(word: str) -> tuple[str, ...]:
    """The fuzzy syllables of a correctly written word, reading heteronyms in context (needs pypinyin)."""
    from pypinyin import Style, lazy_pinyin

    return tuple(fuzzy_syllable(s) for s in lazy_pinyin(word, style=Style.NORMAL))


def primary(table: PinyinTable, ch: str) -> str | None:
    """The most common fuzzy reading of a character, or None for a non-Chinese character."""
    readings = table.get(ch)
    return readings[0] if readings else None
