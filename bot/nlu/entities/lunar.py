"""Lunar dates (腊月二十, 正月初八, 农历八月十五, a bare 初六) and lunar festivals (春节, 中秋, 除夕).

Village residents book the hall for a wedding on 正月初八 and a funeral on 腊月二十六; the booking needs
the day on the calendar, so these resolve to ISO dates with `lunardate` (a maintained pure-Python
Chinese calendar) to their next occurrence on or after the message day, like the other dates. A leap
month is never meant unless said (闰四月 is rare enough to be left to staff), so the regular month is used.
"""

from __future__ import annotations

import datetime as dt
import re

from lunardate import LunarDate

from bot.nlu.entities.base import Found
from bot.nlu.numbers import cn_to_int

_MONTHS = {
    "正月": 1,
    "一月": 1,
    "二月": 2,
    "三月": 3,
    "四月": 4,
    "五月": 5,
    "六月": 6,
    "七月": 7,
    "八月": 8,
    "九月": 9,
    "十月": 10,
    "冬月": 11,
    "十一月": 11,
    "腊月": 12,
    "十二月": 12,
}
# Day 0 stands for the last day of the month (除夕 is 腊月廿九 in a short year, 腊月三十 in a long one).
FESTIVALS = {
    "春节": (1, 1),
    "大年初一": (1, 1),
    "元宵节": (1, 15),
    "元宵": (1, 15),
    "正月十五": (1, 15),
    "端午节": (5, 5),
    "端午": (5, 5),
    "七夕": (7, 7),
    "中秋节": (8, 15),
    "中秋": (8, 15),
    "重阳节": (9, 9),
    "重阳": (9, 9),
    "腊八节": (12, 8),
    "腊八": (12, 8),
    "小年": (12, 23),
    "除夕": (12, 0),
    "大年三十": (12, 0),
    "年三十": (12, 0),
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = (
    r"初[一二三四五六七八九十]|十[一二三四五六七八九]?|二十[一二三四五六七八九]?|廿[一二三四五六七八九]|三十"
    r"|\d{1,2}(?:号|日)?"
)
_LUNAR_RE = re.compile(
    rf"(?P<prefix>农历|阴历)?(?:(?P<month>{_MONTH})|(?P<digit_month>\d{{1,2}})月)(?P<day>{_DAY})"
    # A bare 初六 is a day of the current lunar month; 初中, 初级, 初次 … are no days.
    r"|(?<![月\d])(?P<bare>初[一二三四五六七八九十])(?!中|级|步|期|次|心|衷|稿|始|恋|见|春|夏|秋|冬|学|生)"
)
_FESTIVAL_RE = re.compile("|".join(sorted(FESTIVALS, key=len, reverse=True)))


def _day_number(day: str) -> int | None:
    return cn_to_int(day.replace("初", "").replace("廿", "二十").rstrip("号日"))


def _last_day(year: int, month: int) -> dt.date:
    after = LunarDate(year + 1, 1, 1) if month == 12 else LunarDate(year, month + 1, 1)
    return after.to_solar_date() - dt.timedelta(days=1)


def _solar(year: int, month: int, day: int) -> dt.date | None:
    """The solar date of a lunar day; day 0 or a 30th the month lacks is its last day."""
    try:
        if day == 0:
            return _last_day(year, month)
        try:
            return LunarDate(year, month, day).to_solar_date()
        except ValueError:
            return _last_day(year, month) if day == 30 else None
    except ValueError:  # outside the library's years (1900-2099)
        return None


def _next(today: dt.date, lunar_today: LunarDate, month: int, day: int) -> dt.date | None:
    """The next solar date, today included, of lunar `month`/`day`."""
    # 腊月 said in early January is still last lunar year's.
    for y in (lunar_today.year - 1, lunar_today.year, lunar_today.year + 1):
        found = _solar(y, month, day)
        if found is not None and found >= today:
            return found
    return None


def _bare_day(today: dt.date, lunar_today: LunarDate, day: int) -> dt.date | None:
    """A bare 初六: this lunar month's, or the next month's once it has passed."""
    found = _solar(lunar_today.year, lunar_today.month, day)
    if found is not None and found >= today:
        return found
    y, m = (lunar_today.year + 1, 1) if lunar_today.month == 12 else (lunar_today.year, lunar_today.month + 1)
    return _solar(y, m, day)


def find_lunar_dates(text: str, today: dt.date) -> list[Found]:
    """Lunar dates and festivals in normalised text, with ISO values.

    一月 … 十二月 with a plain day (十二月二十) are solar dates unless 农历/阴历 or a lunar day word
    (初, 廿) says otherwise; the solar rules read those.
    """
    out: list[Found] = []
    try:
        lunar_today = LunarDate.from_solar_date(today.year, today.month, today.day)
    except ValueError:  # outside the library's years (1900-2099)
        return out
    for m in _LUNAR_RE.finditer(text):
        if m["bare"]:
            day = _day_number(m["bare"])
            value = _bare_day(today, lunar_today, day) if day else None
        else:
            day_word = m["day"]
            lunar_said = bool(m["prefix"]) or m["month"] in ("正月", "冬月", "腊月") or day_word[0] in "初廿"
            if not lunar_said:
                continue
            month = _MONTHS[m["month"]] if m["month"] else int(m["digit_month"])
            day = _day_number(day_word)
            value = _next(today, lunar_today, month, day) if day and 1 <= month <= 12 and 1 <= day <= 30 else None
        if value is not None:
            out.append(Found("date", m.start(), m.end(), value.isoformat()))
    for m in _FESTIVAL_RE.finditer(text):
        month, day = FESTIVALS[m.group(0)]
        value = _next(today, lunar_today, month, day)
        if value is not None:
            out.append(Found("date", m.start(), m.end(), value.isoformat()))
    return out
