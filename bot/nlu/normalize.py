"""Normalise what residents type or dictate, keeping a map back to the original characters.

Steps: drop control and zero-width characters, fold full/half width (NFKC), lower-case, traditional →
simplified (OpenCC t2s: 14 ms to load, 25 µs a message, so always on), punctuation to spaces, spoken
fillers (嗯、呃、那个、就是…) where they are fillers, stutters (我我我想 → 我想, 预约预约 → 预约), and
spoken numbers (八十二岁 → 82岁, 幺三八… → 138…). Training and parsing run the same steps, so written
and dictated sentences meet in the same normalised form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.nlu.mapped_text import MappedText
from bot.nlu.numbers import NUM_CHARS, convert_numbers
from bot.text import CJK, fold_width_case, is_cjk, is_latin_alnum, to_simplified

# A CJK character that is not a numeral: numerals repeat legitimately (幺三八八八, 五零一).
_WORD_CHAR = f"(?:(?![{NUM_CHARS}])[{CJK}])"
_KEEP_BETWEEN_ALNUM = set("-:./#@_+")

_CHAR_RUN = re.compile(rf"({_WORD_CHAR})\1{{2,}}")
_WORD_REPEAT = re.compile(rf"({_WORD_CHAR}{{2,4}}?)\1+")
# Characters that a hesitant speaker doubles without meaning it (我我想, 就就是, 对对).
_STUTTER = re.compile(r"([我你您他她就那这要在是的了有去给帮把找能会也都还从到跟和对嗯呃啊])\1")
_SPACE = re.compile(r"\s+")

# 嗯 alone means "yes", so fillers are only removed when something else is left. 唔 is a hesitation
# sound, except in Cantonese where it is "not" before a verb (唔系, 唔使, 唔该, 唔知): there it stays.
_CANTONESE_NOT_BEFORE = "系使好要该得知识想去"
_FILLER_CHARS = re.compile(rf"(?:[嗯呃噢喔诶欸啊哦]|唔(?![{_CANTONESE_NOT_BEFORE}]))+|(?:^|(?<=\s))额(?!度)")
# 那个/这个 are fillers before a pronoun or verb (那个我想问…), but determiners before a noun (那个证明),
# and those are kept.
_FILLER_WORDS = re.compile(
    r"就是说|怎么说呢|(?:那个|这个)(?=[我你您他她就想要请问能可是那这]|\s)|就是(?=[我你您他她想要那])"
)


@lru_cache(maxsize=65536)
def _clean_char(ch: str) -> str:
    """One character folded: control and zero-width removed, width folded, lower-cased."""
    if ch.isspace():
        return " "
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn") or "\ufe00" <= ch <= "\ufe0f":
        return ""
    folded = fold_width_case(ch)
    return "".join(c for c in folded if unicodedata.category(c) not in ("Cc", "Cf"))


def _to_simplified(mt: MappedText) -> MappedText:
    """Traditional characters to simplified ones, character for character so offsets stay exact."""
    if mt.text.isascii():
        return mt
    out = to_simplified(mt.text)
    if len(out) == len(mt.text):
        return mt.edit((i, i + 1, b) for i, (a, b) in enumerate(zip(mt.text, out, strict=True)) if a != b)
    return mt.map_chars(lambda c: simple if len(simple := to_simplified(c)) == 1 else c)


def _punct_and_space(mt: MappedText) -> MappedText:
    """Punctuation becomes a space (except inside 10:30, 138-0000, a.b); spaces between CJK vanish."""
    text = mt.text
    edits = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch)[0] != "P" and not (unicodedata.category(ch) == "Sm" and ch in "~～"):
            continue
        prev_c = text[i - 1] if i > 0 else ""
        next_c = text[i + 1] if i + 1 < len(text) else ""
        if ch in _KEEP_BETWEEN_ALNUM and is_latin_alnum(prev_c) and is_latin_alnum(next_c):
            continue
        edits.append((i, i + 1, " "))
    mt = mt.edit(edits)
    text = mt.text
    edits = []
    for m in _SPACE.finditer(text):
        s, e = m.start(), m.end()
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        if not before or not after or is_cjk(before) or is_cjk(after):
            edits.append((s, e, ""))
        elif e - s > 1 or text[s] != " ":
            edits.append((s, e, " "))
    return mt.edit(edits)


def _remove_fillers(mt: MappedText) -> MappedText:
    """Drop hesitation sounds and filler words unless nothing else would be left."""
    out = mt.sub(_FILLER_CHARS, "").sub(_FILLER_WORDS, "")
    return out if out.text.strip() else mt


def strip_fillers(text: str, *, keep_alone: bool = True) -> str:
    """The text without spoken fillers and stutters, otherwise as said (no width folding or number
    conversion): for storing a resident's words, such as a place, the way staff will read them. A text
    of fillers only (嗯) is kept as it is, unless `keep_alone` is false: then nothing is left."""
    mt = MappedText.of(text)
    bare = mt.sub(_FILLER_CHARS, "").sub(_FILLER_WORDS, "")
    if not bare.text.strip():
        return text if keep_alone else ""
    return bare.sub(_STUTTER, lambda m: m.group(1)).text


def _collapse_repeats(mt: MappedText) -> MappedText:
    """Collapse the repetitions of speech: 对对对 → 对对, 预约预约 → 预约, 我我 → 我."""
    mt = mt.sub(_CHAR_RUN, lambda m: m.group(1) * 2)
    mt = mt.sub(_WORD_REPEAT, lambda m: m.group(1))
    return mt.sub(_STUTTER, lambda m: m.group(1))


def _speech_pass(mt: MappedText) -> MappedText:
    mt = _punct_and_space(mt)
    mt = _remove_fillers(mt)
    mt = _collapse_repeats(mt)
    mt = _punct_and_space(mt)
    return convert_numbers(mt)


def normalize(text: str, max_chars: int | None = None) -> MappedText:
    """The normalised form of a message (truncated to `max_chars` first), mapped to the original."""
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
    mt = _to_simplified(MappedText.of(text).map_chars(_clean_char))
    # Each step can open a new chance for another (a filler between two 我); stop at the fixed point.
    for _ in range(4):
        nxt = _speech_pass(mt)
        if nxt.text == mt.text:
            return nxt
        mt = nxt
    return mt


def normalize_text(text: str) -> str:
    """Only the normalised string, for building lexicons and features."""
    return normalize(text).text
