"""Practical questions about the community's own offices: 你们几点下班, 周六上班吗, 物业电话多少.

These name no catalog service, so retrieval offers unrelated ones (开锁服务 for 几点开门); the NLU reads
some of them as out of scope. They are answered from the community's settings: its opening hours and
`service_center_hours`, and the phone numbers under `values` (`service_center_phone`, `property_phone`,
`grid_worker_phone` …), which are per-community example values, never national fact.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from bot.text import fold_width_case
from knowledge.schema import CommunitySettings

Topic = Literal["hours", "phone", "address"]
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Office:
    """An office residents ask about, by the `values` keys that describe it (its name is a response text,
    `utter_office_label_<key>`, or the community's own `service_center_name`)."""

    key: str
    phone: str
    hours: str = ""
    address: str = ""


OFFICES: dict[str, Office] = {
    "service_center": Office("service_center", "service_center_phone", "service_center_hours", "service_center"),
    "property": Office("property", "property_phone", "property_hours", "property_office"),
    "grid_worker": Office("grid_worker", "grid_worker_phone"),
    "street_office": Office("street_office", "street_office_phone", "street_office_hours", "street_office"),
    "police_station": Office("police_station", "police_station_phone", "", "police_station"),
    "health_center": Office("health_center", "health_center_phone", "", "health_center"),
    "hotline": Office("hotline", "hotline"),
}

# Longer names first: 街道办 is the street office, not 社区.
_OFFICE_WORDS: tuple[tuple[str, str], ...] = (
    ("property", r"物业|物管|管理处"),
    ("grid_worker", r"网格员|网格长|网格"),
    ("street_office", r"街道办?|办事处|镇政府|乡政府|镇上"),
    ("police_station", r"派出所|警务室|片警|民警"),
    ("health_center", r"卫生服务中心|卫生院|社区医院|卫生站|村医|卫生室"),
    ("hotline", r"12345|热线|市民热线|政府热线"),
    ("service_center", r"社区|居委会?|村委会?|村里|村部|服务中心|服务大厅|窗口|你们|这边|这里|办事的地方"),
)
_PHONE = re.compile(r"电话|号码|手机|联系方式|怎么联系|咋联系|打给谁|热线")
_HOURS = re.compile(
    r"几点|时间|上班|下班|开门|关门|营业|办公|休息|放假|值班|开不开|有人吗|有没有人|几时|什么时候(?:开|关|上|下)"
)
# 几点 or 时间 alone may be about anything (a booking slot); these name the office's own hours.
_OPENING = re.compile(r"上班|下班|开门|关门|营业|办公|休息|放假|值班|开不开|有人吗|有没有人")
_ADDRESS = re.compile(r"在哪|在什么地方|地址|怎么走|哪里办公|位置")
_DAY = re.compile(
    r"(今天|明天|后天)|(?:周|星期|礼拜)([一二三四五六日天1-7])|(周末|节假日|假期|过节|国庆|春节|元旦|五一)"
)
# Words left when a question is only about the office's hours ("周六上班吗"); anything else (食堂几点开门)
# names something the catalog answers.
_GLUE = re.compile(
    r"请问|你好|您好|嗯+|那个|就是|一下|问问|想问|我想|俺想|我|俺|咱|们|的|了|吗|呢|啊|呀|吧|么|呐|"
    r"是|在|有|还|都|也|要|会|能|可以|不|每天|平时|一般|早上|上午|中午|下午|晚上|几号|多少|什么|啥|"
    r"[，。？！、,.?!~\s\d]"
)
# Fixed-date public holidays; lunar ones (春节、端午、中秋) come from the community's own notice.
_FIXED_HOLIDAYS = {(1, 1)} | {(5, d) for d in range(1, 6)} | {(10, d) for d in range(1, 8)}


@dataclass(frozen=True)
class OfficeQuestion:
    """What a practical question asks: a topic, about which office, and for which day if it names one."""

    topic: Topic
    office: str
    day: str | None = None


def office_question(text: str) -> OfficeQuestion | None:
    """The office question a message asks, or None when it asks about a service or something else."""
    t = fold_width_case(text)
    office = next((key for key, words in _OFFICE_WORDS if re.search(words, t)), None)
    day_match = _DAY.search(t)
    day = day_match.group(0) if day_match else None
    if _PHONE.search(t):
        if office is None:
            return None
        if re.search(r"我的|我家的|俺的|他的|她的|谁的", t):
            return None
        return OfficeQuestion("phone", office)
    if _HOURS.search(t):
        rest = _GLUE.sub("", _DAY.sub("", _HOURS.sub("", t)))
        if office is not None:
            rest = re.sub(dict(_OFFICE_WORDS)[office], "", rest)
        if len(rest) <= 1 and (office is not None or _OPENING.search(t)):
            return OfficeQuestion("hours", office or "service_center", day)
        return None
    if _ADDRESS.search(t) and office is not None:
        rest = _GLUE.sub("", _ADDRESS.sub("", re.sub(dict(_OFFICE_WORDS)[office], "", t)))
        if len(rest) <= 1:
            return OfficeQuestion("address", office)
    return None


def open_weekdays(hours_text: str) -> set[int] | None:
    """The weekdays an hours text says the office is open (周一至周六 → Monday to Saturday), or None."""
    t = hours_text.replace("星期", "周").replace("礼拜", "周").replace("周天", "周日")
    if re.search(r"每天|全年|天天", t):
        return set(range(7))
    days: set[int] = set()
    for m in re.finditer(r"周([一二三四五六日])(?:\s*(?:至|到|-|~|～|—)\s*周?([一二三四五六日]))?", t):
        first = WEEKDAYS.index(m.group(1))
        last = WEEKDAYS.index(m.group(2)) if m.group(2) else first
        days.update(range(first, last + 1))
    return days or None


def day_asked(day: str | None, today: dt.date) -> dt.date | int | None:
    """The date (今天/明天/后天) or weekday (周六 → 5) a question names; None for none."""
    if day is None:
        return None
    offsets = {"今天": 0, "明天": 1, "后天": 2}
    if day in offsets:
        return today + dt.timedelta(days=offsets[day])
    m = re.search(r"([一二三四五六日天1-7])$", day)
    if m:
        ch = m.group(1)
        return int(ch) - 1 if ch.isdigit() else WEEKDAYS.index("日" if ch == "天" else ch)
    return None


def is_fixed_holiday(day: dt.date) -> bool:
    """A fixed-date public holiday (元旦, 劳动节, 国庆), when offices keep only a duty service."""
    return (day.month, day.day) in _FIXED_HOLIDAYS


def office_value(
    community: CommunitySettings, office: Office, field: Literal["phone", "hours", "address", "name"]
) -> str:
    """An office's phone, hours, address or own name from the community's values ('' when not set)."""
    if field == "name":
        return community.values.get(f"{office.key}_name", "")
    key = getattr(office, field)
    if office.key == "service_center":
        if field == "hours":
            return community.values.get(key) or community.opening_hours.replace(",", "、")
        if field == "address":
            return community.values.get(key) or community.address
    return community.values.get(key, "") if key else ""


__all__ = ["OFFICES", "Office", "OfficeQuestion", "day_asked", "is_fixed_holiday", "office_question",
           "office_value", "open_weekdays"]
