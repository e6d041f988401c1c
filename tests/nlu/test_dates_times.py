"""Dates and times resolve against the message time (Wednesday 15 May 2024, 10:00)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.nlu.engine import EmbeddedNlu
from bot.nlu.entities.dates import find_dates
from bot.nlu.entities.times import find_times
from bot.nlu.normalize import normalize


def date_of(text: str, now: dt.datetime) -> list[tuple[str, str | int]]:
    t = normalize(text).text
    return [(t[f.start : f.end], f.value) for f in find_dates(t, now)]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("今天", "2024-05-15"),
        ("明天", "2024-05-16"),
        ("后天", "2024-05-17"),
        ("大后天", "2024-05-18"),
        ("昨天", "2024-05-14"),
        ("下周三", "2024-05-22"),
        ("礼拜五", "2024-05-17"),
        ("周五", "2024-05-17"),
        ("这周六", "2024-05-18"),
        ("星期天", "2024-05-19"),
        ("下礼拜一", "2024-05-20"),
        ("下下周一", "2024-05-27"),
        # 一下 then 下周三 is next week, not the week after (预约一下下周三的助浴).
        ("预约一下下周三", "2024-05-22"),
        ("预约一下 下周三", "2024-05-22"),
        ("本周日", "2024-05-19"),
        ("下个月5号", "2024-06-05"),
        ("下个月十号", "2024-06-10"),
        ("12月3号", "2024-12-03"),
        ("十二月三号", "2024-12-03"),
        ("5月20日", "2024-05-20"),
        ("20号", "2024-05-20"),
        ("10号", "2024-06-10"),
        ("月底", "2024-05-31"),
        ("下个月底", "2024-06-30"),
        ("三天后", "2024-05-18"),
        ("周末", "2024-05-18"),
        ("2024-07-01", "2024-07-01"),
        ("明个", "2024-05-16"),
        ("后个", "2024-05-17"),
        ("这周", "2024-05-15"),
        ("下周", "2024-05-20"),
        ("元旦以后", "2025-01-01"),
        ("下月初八", "2024-06-08"),
        ("明年1月2号", "2025-01-02"),
        ("2月1号", "2025-02-01"),
    ],
)
def test_dates(text: str, iso: str, now: dt.datetime) -> None:
    found = date_of(text, now)
    assert found, text
    longest = max(found, key=lambda f: len(f[0]))
    assert longest[1] == iso


@pytest.mark.parametrize("text", ["3号楼", "幸福路88号", "快一点", "房号1502"])
def test_not_dates(text: str, now: dt.datetime) -> None:
    assert date_of(text, now) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10点半", "10:30"),
        ("上午十点", "10:00"),
        ("下午两点", "14:00"),
        ("下午一点半", "13:30"),
        ("晚上七点", "19:00"),
        ("中午十二点", "12:00"),
        ("中午一点", "13:00"),
        ("下午3:30", "15:30"),
        ("9:05", "09:05"),
        ("三点", "15:00"),
        ("下午两点到五点", "14:00-17:00"),
        ("上午九点一刻", "09:15"),
        ("上午", "上午"),
        ("下午", "下午"),
        ("中午", "中午"),
        ("晚上", "晚上"),
        ("早上", "早上"),
        ("傍晚", "晚上"),
        ("八点二十分", "08:20"),
        ("头晌", "上午"),
        ("后晌三点", "15:00"),
        ("下昼", "下午"),
    ],
)
def test_times(text: str, value: str) -> None:
    t = normalize(text).text
    found = find_times(t)
    assert found, text
    assert max(found, key=lambda f: f.length).value == value


@pytest.mark.parametrize("text", ["有一点不舒服", "快一点", "一点点"])
def test_not_times(text: str) -> None:
    assert find_times(normalize(text).text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The message day is lunar 2024-04-08; the next Spring Festival is 29 January 2025.
        ("腊月二十那天", [("腊月二十", "2025-01-19")]),
        ("改到初六", [("初六", "2024-06-11")]),  # this month's 初六 has passed: 五月初六
        ("春节前后", [("春节", "2025-01-29")]),
        ("除夕那天", [("除夕", "2025-01-28")]),  # 腊月 of that year has 29 days
        ("正月初八要办喜宴", [("正月初八", "2025-02-05")]),
        ("农历八月十五", [("农历八月十五", "2024-09-17")]),
        ("中秋节活动", [("中秋节", "2024-09-17")]),
        ("十二月二十号", [("十二月二十号", "2024-12-20")]),  # a solar date: no lunar word in it
    ],
)
def test_lunar_dates_resolve_to_the_calendar(nlu: EmbeddedNlu, text: str, expected: list, now: dt.datetime) -> None:
    found = [(e["text"], e["value"]) for e in nlu.parse(text, now=now)["entities"] if e["entity"] == "date"]
    assert found == expected


def test_a_lunar_date_is_an_iso_value_in_the_parse(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    ents = nlu.parse("红白喜事场地改到腊月二十", now=now)["entities"]
    assert {"entity": "date", "value": "2025-01-19", "text": "腊月二十"}.items() <= ents[-1].items()


def test_words_for_no_day_are_reported_as_said(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    ents = nlu.parse("年前能办好吗", now=now)["entities"]
    assert {"entity": "date", "value": "年前"}.items() <= ents[0].items()


@pytest.mark.parametrize("text", ["初中的孩子", "初次申请", "初级职称"])
def test_not_lunar_days(text: str, now: dt.datetime) -> None:
    assert date_of(text, now) == []
