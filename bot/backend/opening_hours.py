"""A day's opening hours as written by staff and in the catalog: "08:30-12:00,13:30-18:00".

One parser for every reader (bookable slots, office hours for 接诉即办 deadlines, catalog and spreadsheet
checks), so that hours the checks accept are hours the slots can be cut from: 13:30～18:00 and 8:30至12:00
are accepted everywhere or nowhere. Errors are in Chinese: staff read them in the console and the CLI.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Interval:
    """An opening interval within one day, in minutes after midnight (end may be 1440)."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        """Length of the interval."""
        return self.end - self.start

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"

    def on(self, day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The interval on a given day, as aware local times (an end of 24:00 is the next midnight)."""
        return _at(day, self.start, tz), _at(day, self.end, tz)


def _at(day: dt.date, minutes: int, tz: ZoneInfo) -> dt.datetime:
    days, minute = divmod(minutes, 24 * 60)
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(minute // 60, minute % 60), tz)


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


_TIME = re.compile(r"^(\d{1,2})[:：.](\d{2})$|^(\d{1,2})$")
_SPLIT_INTERVALS = re.compile(r"[,，、;；\s]+")
_SPLIT_ENDS = re.compile(r"\s*(?:-|~|～|–|—|－|至|到)\s*")


def _parse_time(text: str, whole: str) -> int:
    m = _TIME.match(text)
    if not m:
        raise ValueError(f"开放时间“{whole}”里的“{text}”不是时刻，应写成 08:30 这样")
    hour, minute = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"开放时间“{whole}”里的“{text}”不是有效时刻")
    return hour * 60 + minute


def parse_hours(text: str) -> list[Interval]:
    """Parse "08:30-12:00,13:30-18:00" into sorted, non-overlapping intervals; ValueError in Chinese."""
    whole = unicodedata.normalize("NFKC", text).strip()
    if not whole:
        raise ValueError("开放时间没有填写，应写成 08:30-12:00,13:30-18:00 这样")
    intervals: list[Interval] = []
    for part in _SPLIT_INTERVALS.split(whole):
        if not part:
            continue
        ends = _SPLIT_ENDS.split(part)
        if len(ends) != 2:
            raise ValueError(f"开放时间“{whole}”里的“{part}”应写成 开始-结束，例如 08:30-12:00")
        start, end = (_parse_time(e, whole) for e in ends)
        if end <= start:
            raise ValueError(f"开放时间“{whole}”里的“{part}”结束时刻不晚于开始时刻")
        intervals.append(Interval(start, end))
    intervals.sort()
    for a, b in zip(intervals, intervals[1:], strict=False):
        if b.start < a.end:
            raise ValueError(f"开放时间“{whole}”里的时段 {a} 和 {b} 重叠")
    return intervals
