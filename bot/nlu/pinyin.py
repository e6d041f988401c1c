"""Toneless, accent-tolerant pinyin for each character: 津 and 经 both read `jin`.

Residents who speak with a regional accent, and the speech-to-text that hears them, confuse some sounds;
folding them together (`bot.text.fold_syllable`, the one confusion table the service search uses too)
makes homophone slips (高龄经贴, 低宝, 社宝卡) look like the words they stand for. The table is built from
pypinyin when a model is trained and stored with it, so parsing never imports pypinyin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.text import fold_syllable, is_cjk

PinyinTable = Mapping[str, tuple[str, ...]]


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
        if not is_cjk(chr(code)):
            continue
        out: list[str] = []
        for r in readings.split(","):
            plain = convert(r, Style.NORMAL, strict=False)
            fz = fold_syllable(plain)
            if fz and fz not in out:
                out.append(fz)
        if out:
            table[chr(code)] = tuple(out)
    return table


def word_syllables(word: str) -> tuple[str, ...]:
    """The fuzzy syllables of a correctly written word, reading heteronyms in context (needs pypinyin)."""
    from pypinyin import Style, lazy_pinyin

    return tuple(fold_syllable(s) for s in lazy_pinyin(word, style=Style.NORMAL))
