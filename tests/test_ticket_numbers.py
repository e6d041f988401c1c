"""Ticket numbers: one format, read back the same way by every part of the assistant.

Before, the backend let a number grow past 11 digits on a busy day while the form's ticket question and
the channels accepted exactly 11, and the form refused the partial numbers the look-up finds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import ticket_numbers as tn
from bot.dialogue.slots import candidates_from
from bot.nlu.entities.contact import find_tickets

prefixes = st.sampled_from(tn.PREFIXES)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
# Up to a million a day: beyond 999 the count grows a digit, so numbers of 12 and more digits come up.
counts = st.integers(min_value=1, max_value=999_999)


@given(prefixes, days, counts)
def test_a_number_reads_back_as_it_was_made(prefix: str, day: dt.date, count: int) -> None:
    number = tn.format_number(prefix, day, count)
    assert len(number) - 2 >= 11
    assert tn.parse(number) == tn.TicketNumber(prefix, day, count)
    assert tn.parse(f" {number.lower()} ") == tn.TicketNumber(prefix, day, count)
    assert str(tn.parse(number)) == number


@given(prefixes, days, counts, st.data())
def test_any_part_of_three_digits_or_more_finds_the_number(prefix: str, day: dt.date, count: int,
                                                             data: st.DataObject) -> None:
    number = tn.format_number(prefix, day, count)
    digits = number[2:]
    start = data.draw(st.integers(0, len(digits) - tn.MIN_QUOTED_DIGITS))
    end = data.draw(st.integers(start + tn.MIN_QUOTED_DIGITS, len(digits)))
    part = digits[start:end]
    assert tn.matches(number, part)
    assert tn.matches(number, prefix + part)
    assert tn.matches(number, prefix.lower() + "-" + part)
    other = next(p for p in tn.PREFIXES if p != prefix)
    assert not tn.matches(number, other + part)


@given(prefixes, days, counts, st.text("0123456789", max_size=tn.MIN_QUOTED_DIGITS - 1))
def test_too_few_digits_find_nothing(prefix: str, day: dt.date, count: int, part: str) -> None:
    assert not tn.matches(tn.format_number(prefix, day, count), prefix + part)


@pytest.mark.parametrize("text", ["GD20261131001", "GD20261129000", "GD202611290001", "XX20261129001",
                                  "GD2026112900", "GD20261129001X"])
def test_what_is_not_one_of_our_numbers_does_not_parse(text: str) -> None:
    assert tn.parse(text) is None


def test_a_busy_day_number_is_heard_everywhere() -> None:
    busy = "GD202612091234"  # the 1234th order of the day: 12 digits
    assert tn.parse(busy) == tn.TicketNumber("GD", dt.date(2026, 12, 9), 1234)
    assert tn.names_work_order(f"已登记，工单号{busy}，请记好。")
    assert not tn.names_work_order("预约号YY202612091234")
    assert [f.value for f in find_tickets(busy.lower())] == [busy]
    assert candidates_from([], f"我的单号是{busy}", ("ticket_id",), "ticket_id") == {"ticket_id": busy}


@pytest.mark.parametrize(("answer", "number"), [
    ("GD20261209001", "GD20261209001"),
    ("yy 0316", "YY0316"),
    ("我的是GD-1308", "GD1308"),
    ("1308", "1308"),
    ("1308。", "1308"),
])
def test_the_ticket_question_takes_a_number_in_full_or_in_part(answer: str, number: str) -> None:
    assert candidates_from([], answer, ("ticket_id",), "ticket_id") == {"ticket_id": number}


@pytest.mark.parametrize("answer", ["13", "明天下午三点", "就是上次那个", "GD12"])
def test_the_ticket_question_takes_no_number_from_other_words(answer: str) -> None:
    assert "ticket_id" not in candidates_from([], answer, ("ticket_id",), "ticket_id")


def test_a_number_inside_a_sentence_is_taken_only_with_its_letters() -> None:
    assert tn.quoted_in("我打了1308次电话") is None
    assert tn.quoted_in("我打了1308次电话", whole_answer=True) is None
    assert tn.quoted_in("查一下yy1308") == "YY1308"


@given(prefixes, days, counts)
def test_the_kind_of_a_number_is_its_letters(prefix: str, day: dt.date, count: int) -> None:
    number = tn.format_number(prefix, day, count)
    assert tn.is_work_order(number) == (prefix == tn.WORK_ORDER_PREFIX)
    assert tn.is_booking(number.lower()) == (prefix == tn.BOOKING_PREFIX)


def test_speech_reads_a_number_in_its_groups() -> None:
    said = tn.sub_full("工单GD202612091234，预约GD20261399001", lambda n: "|".join(n.groups))
    assert said == "工单GD|2026|1209|1234，预约GD20261399001"  # the 13th month is no number of ours
