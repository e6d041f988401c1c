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


@pytest.mark.parametrize("text", ["腊月二十那天", "改到初六", "春节前后"])
def test_lunar_dates_are_found_and_reported_as_said(text: str, now: dt.datetime) -> None:
    found = find_dates(normalize(text).text, now)
    assert found and all(f.value == "" for f in found)  # the extractor fills in the original words


def test_lunar_value_is_the_original_words(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    ents = nlu.parse("红白喜事场地改到腊月二十", now=now)["entities"]
    assert {"entity": "date", "value": "腊月二十", "text": "腊月二十"}.items() <= ents[-1].items()
