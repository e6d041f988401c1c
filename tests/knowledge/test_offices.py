"""Practical questions about the community's offices are told apart from questions about services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from knowledge.loader import load_communities
from knowledge.offices import (
    OFFICES,
    OfficeQuestion,
    day_asked,
    is_fixed_holiday,
    office_question,
    office_value,
    open_weekdays,
)

COMMUNITIES = Path(__file__).resolve().parents[2] / "knowledge" / "communities"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你们几点下班", OfficeQuestion("hours", "service_center")),
        ("社区几点开门", OfficeQuestion("hours", "service_center")),
        ("周六上班吗", OfficeQuestion("hours", "service_center", "周六")),
        ("你们周末上班不", OfficeQuestion("hours", "service_center", "周末")),
        ("村委会礼拜天有人吗", OfficeQuestion("hours", "service_center", "礼拜天")),
        ("物业电话多少", OfficeQuestion("phone", "property")),
        ("社区电话", OfficeQuestion("phone", "service_center")),
        ("嗯网格员电话多少", OfficeQuestion("phone", "grid_worker")),
        ("派出所电话", OfficeQuestion("phone", "police_station")),
        ("物业在哪", OfficeQuestion("address", "property")),
    ],
)
def test_office_questions(text, expected):
    assert office_question(text) == expected


@pytest.mark.parametrize(
    "text",
    ["食堂几点开门", "助浴几点可以约", "高龄津贴在哪里办", "我的电话改了", "几点", "图书室几点开", "老年食堂周六开吗",
     "高龄津贴每个月能领多少钱", "我要预约明天上午"],
)
def test_service_questions_are_not_office_questions(text):
    assert office_question(text) is None


def test_open_weekdays_from_the_hours_text():
    assert open_weekdays("周一至周日 8:30-12:00") == set(range(7))
    assert open_weekdays("周一至周六 8:00-12:00、14:00-18:00") == set(range(6))
    assert open_weekdays("周一至周五 9:00-17:00，周六上午") == set(range(6))
    assert open_weekdays("8:30-18:00") is None


def test_day_asked():
    friday = dt.date(2026, 12, 11)
    assert day_asked("明天", friday) == dt.date(2026, 12, 12)
    assert day_asked("周六", friday) == 5
    assert day_asked("礼拜天", friday) == 6
    assert day_asked("周末", friday) is None
    assert is_fixed_holiday(dt.date(2026, 10, 1)) and not is_fixed_holiday(friday)


def test_values_come_from_the_community():
    communities = load_communities(COMMUNITIES)
    town, village = communities["default"], communities["qinghe-village"]
    assert office_value(town, OFFICES["property"], "phone")
    assert office_value(village, OFFICES["property"], "phone") == ""  # a village has no property company
    assert office_value(village, OFFICES["service_center"], "hours").startswith("周一至周六")
    assert office_value(town, OFFICES["service_center"], "phone") != office_value(village, OFFICES["service_center"],
                                                                                  "phone")
