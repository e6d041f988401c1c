"""The numbers residents read out on the phone: GD20261129001 for a work order, YY20261129001 for a booking.

A number is its kind (GD or YY), the local day it was made (yyyymmdd) and the day's count in three digits,
which simply grows a fourth on a day with a thousand or more: a number has 11 digits or more, never a
fixed 11. Residents read a number in part, the date or the tail of it (GD0316, 1308); three digits are
enough to pick one of their own, fewer are not.

This is the one place the format is written: `bot.backend.numbering` makes numbers and finds them, the
NLU hears them, a form's ticket question reads them, speech says them in groups and channels spot a filed
order in a reply. It is the bottom layer: it imports nothing from the rest of the project.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "BOOKING_PREFIX",
    "MIN_QUOTED_DIGITS",
    "PREFIXES",
    "WORK_ORDER_PREFIX",
    "TicketNumber",
    "find_full",
    "format_number",
    "is_booking",
    "is_work_order",
    "matches",
    "names_work_order",
    "parse",
    "quoted_in",
    "quoted_part",
    "sub_full",
]

WORK_ORDER_PREFIX = "GD"
BOOKING_PREFIX = "YY"
PREFIXES = (WORK_ORDER_PREFIX, BOOKING_PREFIX)
DAY_DIGITS = 8
COUNT_DIGITS = 3
# The fewest digits of a number read out in part that can still pick one of a resident's numbers.
MIN_QUOTED_DIGITS = 3

_KIND = "|".join(PREFIXES)
_FULL = re.compile(rf"(?<![A-Za-z])({_KIND})([0-9]{{{DAY_DIGITS}}})([0-9]{{{COUNT_DIGITS},}})(?![0-9])", re.I)
_QUOTED = re.compile(rf"([A-Z]*)[^0-9]*([0-9]{{{MIN_QUOTED_DIGITS},}})")
# A number said with its letters anywhere in a message (GD0316, yy 20261129001, GD-1308).
_PREFIXED = re.compile(rf"(?<![A-Za-z])({_KIND})[ \-]?([0-9]{{{MIN_QUOTED_DIGITS},}})(?![0-9])", re.I)


@dataclass(frozen=True)
class TicketNumber:
    """A whole number, taken apart."""

    prefix: str
    day: dt.date
    count: int

    def __str__(self) -> str:
        return format_number(self.prefix, self.day, self.count)

    @property
    def groups(self) -> tuple[str, str, str, str]:
        """The parts people read separately: letters, year, month and day, count (GD 2026 1129 001)."""
        day = self.day.strftime("%Y%m%d")
        return self.prefix, day[:4], day[4:], f"{self.count:0{COUNT_DIGITS}d}"


def format_number(prefix: str, day: dt.date, count: int) -> str:
    """The number of the `count`-th work order or booking of a local day."""
    if prefix not in PREFIXES or count < 1:
        raise ValueError(f"no ticket number {prefix!r} {count!r}")
    return f"{prefix}{day.strftime('%Y%m%d')}{count:0{COUNT_DIGITS}d}"


def parse(text: str) -> TicketNumber | None:
    """A whole number (any case, spaces around it) taken apart, or None when it is not one of ours."""
    m = _FULL.fullmatch(text.strip())
    return _taken_apart(m) if m else None


def find_full(text: str) -> Iterator[TicketNumber]:
    """The whole numbers written in running text (a reply, a sentence to be read aloud)."""
    for m in _FULL.finditer(text):
        number = _taken_apart(m)
        if number is not None:
            yield number


def names_work_order(text: str) -> bool:
    """Whether running text (a reply) holds a whole work-order number."""
    return any(n.prefix == WORK_ORDER_PREFIX for n in find_full(text))


def sub_full(text: str, say: Callable[[TicketNumber], str]) -> str:
    """The text with each whole number in it replaced by what `say` makes of it."""

    def one(m: re.Match[str]) -> str:
        number = _taken_apart(m)
        return m.group(0) if number is None else say(number)

    return _FULL.sub(one, text)


def _taken_apart(m: re.Match[str]) -> TicketNumber | None:
    """The parts of a match, or None for a day that does not exist or a count we never write (000, 0012)."""
    try:
        day = dt.datetime.strptime(m.group(2), "%Y%m%d").date()
    except ValueError:
        return None
    digits = m.group(3)
    if int(digits) < 1 or (len(digits) > COUNT_DIGITS and digits.startswith("0")):
        return None
    return TicketNumber(m.group(1).upper(), day, int(digits))


def quoted_part(number: str) -> tuple[str, str] | None:
    """The letters and digits of a number a resident read out only in part (GD0316, 1308), or None when
    too little of it is left to pick one of theirs (fewer than three digits)."""
    m = _QUOTED.fullmatch(number.strip().upper())
    return (m.group(1), m.group(2)) if m else None


def matches(number: str, said: str) -> bool:
    """Whether a whole number is the one a resident read out, in full or in part: the letters said (if
    any) begin it and the digits said appear in it."""
    part = quoted_part(said)
    if part is None:
        return False
    prefix, digits = part
    number = number.upper()
    return number.startswith(prefix) and digits in number


def quoted_in(text: str, *, whole_answer: bool = False) -> str | None:
    """A number in a message, in full or in part, upper-cased without separators: one said with its
    letters anywhere (我的单号是GD0316), or, with `whole_answer`, an answer that is only a number (1308)
    to a question asking for one."""
    m = _PREFIXED.search(text)
    if m:
        return m.group(1).upper() + m.group(2)
    bare = re.sub(r"[\s\-]", "", text.strip().strip("。.！!，,"))
    if whole_answer and bare.isascii() and bare.isdigit() and len(bare) >= MIN_QUOTED_DIGITS:
        return bare
    return None


def is_work_order(number: str) -> bool:
    """A number with a work order's letters (whole or in part)."""
    return number.strip().upper().startswith(WORK_ORDER_PREFIX)


def is_booking(number: str) -> bool:
    """A number with a booking's letters (whole or in part)."""
    return number.strip().upper().startswith(BOOKING_PREFIX)
