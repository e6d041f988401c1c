"""When a community's office is staffed, and the response deadlines that follow (接诉即办).

Promises made to residents (工作人员会在…前联系您) run on this clock, so a village office closed on
Sundays never promises a Sunday call. The arithmetic is a few lines over the day's intervals; no calendar
library knows a community's own hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.backend.opening_hours import Interval, parse_hours

# How far ahead to look for an open hour: two weeks covers any weekly schedule with a day open.
_LOOKAHEAD_DAYS = 14


@dataclass(frozen=True)
class OfficeHours:
    """When a community's office is staffed: the same daily intervals on its opening weekdays."""

    intervals: tuple[Interval, ...]
    days: frozenset[int]
    timezone: str

    @classmethod
    def parse(cls, hours: str, days: list[int], timezone: str) -> OfficeHours:
        """Office hours from "08:30-12:00,13:30-18:00", the open weekdays (Monday = 0) and the time zone."""
        return cls(intervals=tuple(parse_hours(hours)), days=frozenset(days), timezone=timezone)

    def spans(self, moment: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Open spans that end after `moment`, in order, from its local day on."""
        tz = ZoneInfo(self.timezone)
        day = moment.astimezone(tz).date()
        for offset in range(_LOOKAHEAD_DAYS + 1):
            d = day + dt.timedelta(days=offset)
            if d.weekday() not in self.days:
                continue
            for interval in self.intervals:
                s, e = interval.on(d, tz)
                if e > moment:
                    yield max(s, moment), e

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether staff are at the office at this moment."""
        first = next(self.spans(moment), None)
        return first is not None and first[0] == moment

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        """The moment itself when open, else the next opening."""
        first = next(self.spans(moment), None)
        return first[0] if first is not None else moment

    def add_open_time(self, start: dt.datetime, span: dt.timedelta) -> dt.datetime:
        """The moment `span` of opening time after `start` (closed hours and days do not count)."""
        left = span
        for s, e in self.spans(start):
            if s + left <= e:
                return s + left
            left -= e - s
        return start + span  # no opening within the look-ahead: the plain clock is all we can promise


@dataclass(frozen=True)
class ResponseDeadlines:
    """When staff promise to get in touch and to finish, and when the clock started."""

    ack_due: dt.datetime
    due: dt.datetime
    starts_at: dt.datetime
    on_duty: bool


def response_deadlines(now: dt.datetime, limits: dict[str, int], hours: OfficeHours | None,
                       on_duty: bool) -> ResponseDeadlines:
    """Deadlines of a new work order.

    On-duty categories (urgent safety matters) run on the wall clock: someone is on duty. Others start
    at the next opening; the time to get in touch counts opening hours only, the time to finish counts
    days from that start and ends at an open time, so no promise falls in a closed office.
    """
    ack = dt.timedelta(hours=limits.get("ack", 4))
    done = dt.timedelta(hours=limits.get("done", 72))
    if on_duty or hours is None:
        return ResponseDeadlines(now + ack, now + done, now, True)
    start = hours.next_open(now)
    ack_due = hours.add_open_time(now, ack)
    due = max(hours.next_open(start + done), ack_due)
    return ResponseDeadlines(ack_due, due, start, False)
