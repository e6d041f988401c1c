"""The one place where phone and ID numbers are masked: logs, exports and staff pages all come here.

Phone numbers and ID numbers are personal information under PIPL. What is masked:

- mainland ID numbers, 18 characters (the last may be X) or the old 15 digits;
- mobile numbers, 11 digits starting 1[3-9], with or without +86 / 0086 / 86 in front;
- landlines with their area code (0571-88880000, (010)8888 0000);
- a 7- or 8-digit local number right after a word for one (电话、号码、手机、座机、联系、打).

People and speech front ends write numbers in many ways, and every way is read: separators between
digits (138 1234 5678, 138-1234-5678, 幺三八，幺二三四，五六七八), full-width digits (１３８…), and the
digits of dictation (幺三八洞洞…, as voice input writes them; a separate reading so that an ordinary
一 after a typed number, as in 13812345678一直打不通, does not lengthen the number). Log lines are read a
second time with their escapes decoded (URL, JSON and Python: %E5%8F%B7 or \\u8bc1 before a number must
not hide it), and the value of a secret query parameter (?token=…, a conversation token) is hidden too.

A masked number keeps enough to recognise it and not enough to use it: 138****5678, 110***********1234,
0571-****0000, ****0000. Training data needs another shape, see `mask_for_training`.

This module is the bottom layer: it imports nothing from the rest of the project.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["mask_for_training", "mask_log_line", "mask_personal_data", "mask_phone", "mask_query_secrets"]


def _patterns(sep: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The kinds of number, with at most one separator `sep` between two digits."""
    digit = rf"{sep}[0-9]"
    return (
        ("id", re.compile(rf"(?<![0-9])(?P<num>[0-9](?:{digit}){{16}}{sep}[0-9Xx])(?![0-9Xx])")),
        ("id", re.compile(rf"(?<![0-9])(?P<num>[0-9](?:{digit}){{14}})(?![0-9Xx])")),
        ("mobile", re.compile(rf"(?<![0-9])(?:(?:\+|00)?86{sep})?(?P<num>1[3-9][0-9](?:{digit}){{8}})(?![0-9])")),
        ("landline", re.compile(rf"(?<![0-9])[(（]?(?P<num>0[1-9][0-9]{{1,2}}[)）]?{sep}[0-9]{{3,4}}{sep}[0-9]{{4}})"
                                r"(?![0-9])")),
        ("local", re.compile(rf"(?:电话|号码|手机|座机|联系|打)[^0-9]{{0,4}}(?<![0-9])"
                             rf"(?P<num>[0-9]{{3,4}}{sep}[0-9]{{4}})(?![0-9])")),
    )


# Typed numbers are split by a space or a hyphen (138 1234 5678); a comma would join a room number to the
# phone after it (房号1201，138…). Dictation also pauses with commas (幺三八，幺二三四，五六七八).
_TYPED_PATTERNS = _patterns(r"[ \-]?")
_SPOKEN_PATTERNS = _patterns(r"[ \-,，、]?")
_QUERY_SECRET = re.compile(r"([?&](?:token|access_token|key|secret|password|signature)=)[^&\s\"'#]+", re.I)

# The typed reading: full-width digits and separators as ASCII. One character for one, so offsets agree.
_TYPED = str.maketrans("０１２３４５６７８９Ｘｘ\u3000－", "0123456789Xx -")
# The dictated reading: spoken digits as ASCII, typed digits as a non-digit so the two never join.
_SPOKEN_DIGITS = "〇零洞幺一二两三四五六七八九"
_SPOKEN = str.maketrans(_SPOKEN_DIGITS + "0123456789０１２３４５６７８９\u3000",
                        "00011223456789" + "#" * 20 + " ")
_ESCAPE = re.compile(r"(?:%[0-9A-Fa-f]{2})+|(?:\\x[0-9A-Fa-f]{2})+|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}|\+")


@dataclass(frozen=True)
class _View:
    """The text as the patterns read it; `starts`/`ends` map each character back (None: one for one)."""

    text: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    starts: list[int] | None = None
    ends: list[int] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of a span of the view."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


@dataclass(frozen=True)
class _Hit:
    """One number found: its kind, its original span, and its digits as (ASCII digit, original characters)."""

    kind: str
    start: int
    end: int
    digits: list[tuple[str, int, int]]


def _decoded(text: str) -> tuple[str, list[int], list[int]]:
    """The text with its escapes decoded, and where each decoded character came from.

    URL escapes (%E5%8F%B7, + for a space), JSON and Python escapes (\\u8bc1, \\xe8\\xaf\\x81): an escape
    ending in a digit would otherwise join the number after it (\\u8bc1110101… is 19 digits).
    """
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def keep(upto: int) -> None:
        parts.append(text[pos:upto])
        starts.extend(range(pos, upto))
        ends.extend(range(pos + 1, upto + 1))

    def add(char: str, start: int, end: int) -> None:
        parts.append(char)
        starts.append(start)
        ends.append(end)

    pos = 0
    for m in _ESCAPE.finditer(text):
        keep(m.start())
        token = m.group(0)
        if token == "+":
            add(" ", m.start(), m.end())
        elif token[1] in "uU":
            code = int(token[2:], 16)
            add(chr(code) if code <= 0x10FFFF else "\ufffd", m.start(), m.end())
        else:  # a run of escaped bytes: UTF-8, each character spanning the escapes that made it
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            width = 3 if token[0] == "%" else 4
            first = m.start()
            for i in range(m.start(), m.end(), width):
                out = decoder.decode(bytes([int(text[i + width - 2:i + width], 16)]))
                for char in out:
                    add(char, first, i + width)
                if out:
                    first = i + width
            for char in decoder.decode(b"", final=True):
                add(char, first, m.end())
        pos = m.end()
    keep(len(text))
    return "".join(parts), starts, ends


def _hits(text: str, views: list[_View]) -> list[_Hit]:
    """Every number found in any reading, earliest first; of overlapping ones the longest is kept."""
    found: list[_Hit] = []
    for view in views:
        for kind, pattern in view.patterns:
            for m in pattern.finditer(view.text):
                # A local number's keyword (电话…) is context, not part of the number.
                start, end = view.span(*m.span("num" if kind == "local" else 0))
                digits = [(c, *view.span(i, i + 1)) for i, c in enumerate(m.group("num"), m.start("num"))
                          if c.isdigit() or c in "Xx"]
                found.append(_Hit(kind, start, end, digits))
    found.sort(key=lambda h: (h.start, -h.end))
    kept: list[_Hit] = []
    for hit in found:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _readings(text: str, *, escaped: bool = False) -> list[_View]:
    """The typed and the dictated reading of the text, and of its escapes decoded when asked."""
    views = [_View(text.translate(_TYPED), _TYPED_PATTERNS), _View(text.translate(_SPOKEN), _SPOKEN_PATTERNS)]
    if escaped and _ESCAPE.search(text):
        plain, starts, ends = _decoded(text)
        views += [_View(plain.translate(_TYPED), _TYPED_PATTERNS, starts, ends),
                  _View(plain.translate(_SPOKEN), _SPOKEN_PATTERNS, starts, ends)]
    return views


def _rewrite(text: str, hits: list[_Hit], replace: Callable[[str, _Hit], str]) -> str:
    out: list[str] = []
    pos = 0
    for hit in hits:
        out += [text[pos:hit.start], replace(text, hit)]
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


def _area_length(digits: str) -> int:
    """Area codes 010 and 02x have three digits, the others four."""
    return 3 if digits[1] in "12" else 4


def _masked(text: str, hit: _Hit) -> str:
    """The recognisable short form of one number, its kept digits as they were written."""
    chars = [text[s:e] for _, s, e in hit.digits]
    head, tail = "".join(chars[:3]), "".join(chars[-4:])
    if hit.kind == "mobile":
        return f"{head}****{tail}"
    if hit.kind == "id":
        return head + "*" * (len(chars) - 7) + tail
    if hit.kind == "landline":
        area = _area_length("".join(d for d, _, _ in hit.digits))
        return "".join(chars[:area]) + "-****" + tail
    return f"****{tail}"


def mask_personal_data(text: str) -> str:
    """Free text with its ID and phone numbers masked: keep enough to recognise, not enough to use."""
    if not text:
        return text
    return _rewrite(text, _hits(text, _readings(text)), _masked)


def mask_query_secrets(text: str) -> str:
    """The values of secret query parameters (?token=…, &key=…) replaced by ***."""
    return _QUERY_SECRET.sub(r"\1***", text)


def mask_log_line(text: str) -> str:
    """A whole formatted log line (message, traceback, request line) with numbers and secrets masked."""
    if not text:
        return text
    text = mask_query_secrets(text)
    return _rewrite(text, _hits(text, _readings(text, escaped=True)), _masked)


def mask_phone(value: str | None) -> str:
    """A phone field as 138****5678: enough for the resident to recognise, not enough to misuse.

    The resident hears this form read back in confirmations (knowledge/speech.py says 尾号五六七八), so
    a landline keeps the same shape (057****0000) as a mobile; a short number shows its last four only.
    """
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 10:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 7:
        return "****" + digits[-4:]
    return "****"


def _zero_like(char: str) -> str:
    """A zero written the way the digit it replaces was: 0, ０ or 零."""
    if char in _SPOKEN_DIGITS:
        return "零"
    return "０" if "０" <= char <= "９" else "0"


def _kept_digits(hit: _Hit) -> int:
    """Digits a training example keeps: a mobile's network prefix, a landline's area code."""
    if hit.kind == "mobile":
        return 3
    if hit.kind == "landline":
        return _area_length("".join(d for d, _, _ in hit.digits))
    return 0


def _zeroed(text: str, hit: _Hit) -> str:
    chars = list(text[hit.start:hit.end])
    for _, s, e in hit.digits[_kept_digits(hit):]:
        for i in range(s - hit.start, e - hit.start):
            chars[i] = _zero_like(chars[i])
    return "".join(chars)


def mask_for_training(text: str) -> str:
    """Text for an NLU training file: the numbers' digits zeroed in place, their shape kept.

    A training example must not carry a resident's number, but it must still read like what residents
    write, so the model learns from it: 电话13812345678 becomes 电话13800000000 and 幺三八幺二三四五六七八
    becomes 幺三八零零零零零零零零. The network prefix and area code stay, so the zeroed number is still
    one the phone extractor finds (regexes.yml and bot/nlu/entities/contact.py want 1[3-9]…), and
    nothing else is lost: the classifier reads every run of digits as one symbol (bot/nlu/features.py),
    so 13800000000 and the real number give it the same features. Every character stays one character,
    so the offsets of annotated entities stay right. A fixed zero rather than digits derived from the
    number, because a mobile's eight hidden digits are few enough to recover from any such derivation.
    """
    if not text:
        return text
    return _rewrite(text, _hits(text, _readings(text)), _zeroed)
