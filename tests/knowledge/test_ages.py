"""Whose age a message states: the verdict is about the person asked for, not whoever spoke first."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.ages import age_of_subject, asked_about, mentions
from knowledge.eligibility import extract_facts

TODAY = dt.date(2026, 12, 11)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("我今年45 我爸82 他能领高龄津贴吗", 82),       # the son's own age first, then the father's
        ("我今年45 我爸82 能领高龄津贴吗", 82),         # no one named: the relative is who it is for
        ("我爸82 我今年45 能给他办吗", 82),
        ("我老伴65 我62 我能做免费体检吗", 62),         # asks for himself
        ("我62 老伴65 我能做免费体检吗", 62),
        ("俺爹七十九 能领高龄津贴不", 79),
        ("我今年50，他83了", 83),
        ("我62岁 能办老年公交卡吗", 62),
        ("我快八十了", 79),                          # not yet eighty
        ("老人八十出头", 80),
        ("俺七十好几了", 70),
        ("我是62年的", 64),                          # born 1962
        ("1940年出生的", 86),
    ],
)
def test_age_of_the_person_asked_about(text, age):
    assert extract_facts(text, [], today=TODAY).get("age") == age


def test_no_age_when_the_person_asked_about_gave_none():
    # The son said his own age only; judging the father by it would be wrong: ask instead.
    assert age_of_subject("我今年45 我爸能领高龄津贴吗", TODAY) is None
    assert "age" not in extract_facts("我今年45，我爸能领高龄津贴吗", [], today=TODAY)


@pytest.mark.parametrize(
    "text",
    ["我住302", "他10点来", "我80平米的房子", "3号楼502了", "干了30年的工龄", "我13800001111", "孩子18个月"],
)
def test_numbers_that_are_not_ages(text):
    assert mentions(text, TODAY) == []


def test_each_age_keeps_its_person():
    found = mentions("我今年45 我爸82", TODAY)
    assert [(m.age, m.person) for m in found] == [(45, "self"), (82, "other")]


@pytest.mark.parametrize(
    ("text", "who"),
    [("他能领吗", "other"), ("我能办吗", "self"), ("给我爸办一个", "other"), ("俺娘可以申请不", "other"),
     ("能领吗", None)],
)
def test_whom_the_question_is_about(text, who):
    assert asked_about(text) == who


@given(st.integers(min_value=20, max_value=60), st.integers(min_value=61, max_value=110))
def test_a_relatives_age_wins_over_the_speakers(own, father):
    assert age_of_subject(f"我今年{own} 我爸{father} 他能领吗", TODAY) == father
    assert age_of_subject(f"我爸{father} 我{own} 我能办吗", TODAY) == own
