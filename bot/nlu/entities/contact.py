"""Phone numbers (digits only) and work-order / booking numbers (GD or YY + digits).

Our numbers are GD/YY, the date and a three-digit count (GD20261129001), which grows a digit on a day with
a thousand or more (`bot.ticket_numbers`). Residents also quote a number partly (GD0316) or one from
another system, so any GD/YY with as many digits as the look-up can use (three) up to 14 is a ticket: the
status look-up then says politely that it found nothing, which is better than not hearing the number.
"""

from __future__ import annotations

import re

from bot.nlu.entities.base import Found
from bot.ticket_numbers import BOOKING_PREFIX, MIN_QUOTED_DIGITS

# Speech and people put spaces and dashes in numbers: 138 1234 5678, 0571-8888 0000.
_SEP = r"[ -]?"
_MOBILE_RE = re.compile(rf"(?<![\d])(?:\+?86{_SEP})?1[3-9]\d(?:{_SEP}\d){{8}}(?![\d])")
_LANDLINE_RE = re.compile(rf"(?<![\d])0\d{{2,3}}{_SEP}\d{{3,4}}{_SEP}\d{{4}}(?![\d])")
_LOCAL_RE = re.compile(r"(?:电话|号码|手机|联系|打)[^\d]{0,4}(?<![\d])(\d{3,4}[ -]?\d{4})(?![\d])")
# Ours have at most 14 (the day and a count up to a million); longer digit runs are something else.
_MAX_DIGITS = 14
# Voice input writes the letters YY as they sound (歪歪).
_TICKET_RE = re.compile(
    r"(?<![a-z])(?P<kind>g ?d|y ?y|歪歪)[ -]?"
    rf"(?P<num>\d(?:[ -]?\d){{{MIN_QUOTED_DIGITS - 1},{_MAX_DIGITS - 1}}})(?![\d])"
)
_KINDS = {"歪歪": BOOKING_PREFIX}
# A number right after the word for one is a ticket whatever its form (预约号是1308, 订单bk0825):
# residents read out part of ours or quote another system's.
_NAMED_TICKET_RE = re.compile(
    rf"(?:预约号|预约单号|工单号|单号|订单号?|编号|回执号)(?:码)?(?:是|为)?[:：]?(?P<num>[a-z]{{0,3}}\d{{{MIN_QUOTED_DIGITS},{_MAX_DIGITS}}})"
    r"(?![\d])"
)


def find_phones(text: str) -> list[Found]:
    """Mobile and landline numbers, normalised to digits."""
    out = []
    for pattern in (_MOBILE_RE, _LANDLINE_RE):
        for m in pattern.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if len(digits) == 13 and digits.startswith("86"):  # +86 is the country, not the number
                digits = digits[2:]
            out.append(Found("phone", m.start(), m.end(), digits))
    for m in _LOCAL_RE.finditer(text):
        out.append(Found("phone", m.start(1), m.end(1), re.sub(r"\D", "", m.group(1))))
    return out


def find_tickets(text: str) -> list[Found]:
    """Work-order numbers (GD…) and booking numbers (YY…), upper-cased without separators."""
    out = []
    for m in _TICKET_RE.finditer(text):
        kind = m["kind"].replace(" ", "")
        value = _KINDS.get(kind, kind.upper()) + re.sub(r"\D", "", m["num"])
        out.append(Found("ticket_id", m.start(), m.end(), value))
    taken = [(f.start, f.end) for f in out]
    for m in _NAMED_TICKET_RE.finditer(text):
        s, e = m.span("num")
        if not any(a < e and s < b for a, b in taken):
            out.append(Found("ticket_id", s, e, m["num"].upper()))
    return out
