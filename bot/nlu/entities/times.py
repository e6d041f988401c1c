"""Times of day: 10点半 → 10:30, 下午两点 → 14:00, 下午两点到五点 → 14:00-17:00, 上午 → 上午."""

from __future__ import annotations

import re

from bot.nlu.entities.base import Found
from bot.nlu.numbers import NUM_CHARS, cn_to_int

# Named periods and the canonical name each one is reported as.
PERIODS = {
    "早上": "早上",
    "早晨": "早上",
    "清早": "早上",
    "一早": "早上",
    "大早": "早上",
    "今早": "早上",
    "明早": "早上",
    "上午": "上午",
    "中午": "中午",
    "晌午": "中午",
    "下午": "下午",
    "傍晚": "晚上",
    "晚上": "晚上",
    "晚间": "晚上",
    "今晚": "晚上",
    "明晚": "晚上",
    "夜里": "晚上",
    "凌晨": "凌晨",
    # Northern and rural speech, and Cantonese speakers typing Mandarin.
    "头晌": "上午",
    "前晌": "上午",
    "上半晌": "上午",
    "后晌": "下午",
    "下半晌": "下午",
    "后半晌": "下午",
    "晚晌": "晚上",
    "朝早": "早上",
    "晏昼": "中午",
    "下昼": "下午",
}
_PM = {"下午", "晚上"}
_PERIOD = "|".join(sorted(PERIODS, key=len, reverse=True))
_HOUR = rf"(?:\d{{1,2}}|[{NUM_CHARS}]{{1,3}})"
# Minutes, but not the head count that may follow a time (两点二十来个人, 三点三十人).
_MIN = (
    rf"(?:半|一刻|三刻|(?:\d{{1,2}}|[{NUM_CHARS}]{{1,3}})"
    rf"(?:分|(?![\d{NUM_CHARS}]|来|多|个|人|位|岁|号|元|块)))"
)


def _clock_pattern(n: int) -> str:
    return rf"(?:(?P<p{n}>{_PERIOD})?(?P<h{n}>{_HOUR})(?:点钟?|时)(?P<m{n}>{_MIN})?(?:多)?)"


_ONE = _clock_pattern(1)
_TWO = _clock_pattern(2)
_TIME_RE = re.compile(rf"{_ONE}(?:(?:到|至|-|~)(?:{_TWO}))?")
_COLON_RE = re.compile(
    rf"(?P<p>{_PERIOD})?(?<!\d)(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?:(?:到|至|-|~)(?P<h2>\d{{1,2}}):(?P<m2>\d{{2}}))?(?!\d)"
)
_PERIOD_RE = re.compile(rf"(?:{_PERIOD})")


def _minutes(raw: str | None) -> int | None:
    if not raw:
        return 0
    raw = raw.rstrip("分")
    if raw == "半":
        return 30
    if raw == "一刻":
        return 15
    if raw == "三刻":
        return 45
    value = cn_to_int(raw)
    return value if value is not None and 0 <= value < 60 else None


def _hour(raw: str, period: str | None) -> int | None:
    h = cn_to_int(raw)
    if h is None or not 0 <= h <= 24:
        return None
    p = PERIODS.get(period or "", "")
    if p in _PM and h < 12:
        h += 12
    elif p == "中午" and 1 <= h <= 3:
        h += 12
    elif not p and 1 <= h <= 6:
        h += 12  # 约三点 for a community service means the afternoon: offices are closed at 3 am
    return h % 24


def _clock(h: int, m: int) -> str:
    return f"{h:02d}:{m:02d}"


def find_times(text: str) -> list[Found]:
    """Every time-of-day expression in normalised text: HH:MM, HH:MM-HH:MM, or a named period."""
    out: list[Found] = []
    covered: list[tuple[int, int]] = []
    for m in _TIME_RE.finditer(text):
        # Chinese numerals are only trusted next to a period word (有一点 is "a little").
        if not m["h1"].isdigit() and not m["p1"]:
            continue
        h1, m1 = _hour(m["h1"], m["p1"]), _minutes(m["m1"])
        if h1 is None or m1 is None:
            continue
        value = _clock(h1, m1)
        if m["h2"]:
            h2, m2 = _hour(m["h2"], m["p2"] or m["p1"]), _minutes(m["m2"])
            if h2 is not None and m2 is not None:
                if h2 < h1 and h2 + 12 < 24 and not m["p2"]:
                    h2 += 12
                value = f"{value}-{_clock(h2, m2)}"
        out.append(Found("time", m.start(), m.end(), value))
        covered.append((m.start(), m.end()))
    for m in _COLON_RE.finditer(text):
        h = _hour(m["h"], m["p"]) if m["p"] else int(m["h"])
        mm = int(m["m"])
        if h is None or h > 23 or mm > 59:
            continue
        value = _clock(h, mm)
        if m["h2"] and int(m["h2"]) <= 23 and int(m["m2"]) <= 59:
            value = f"{value}-{_clock(int(m['h2']), int(m['m2']))}"
        out.append(Found("time", m.start(), m.end(), value))
        covered.append((m.start(), m.end()))
    for m in _PERIOD_RE.finditer(text):
        if not any(s <= m.start() < e for s, e in covered):
            out.append(Found("time", m.start(), m.end(), PERIODS[m.group(0)]))
    return out
