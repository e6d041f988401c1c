"""Promises to residents run in office hours: a village office closed on Sundays never promises a Sunday call."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.backend.office_hours import OfficeHours, response_deadlines

TZ = ZoneInfo("Asia/Shanghai")
# 清河村: 8:00-12:00, 14:00-18:00, Monday to Saturday.
VILLAGE = OfficeHours.parse("08:00-12:00,14:00-18:00", [0, 1, 2, 3, 4, 5], "Asia/Shanghai")
TOWN = OfficeHours.parse("08:30-12:00,13:30-18:00", list(range(7)), "Asia/Shanghai")
REPAIR = {"ack": 4, "done": 96}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in December 2026 (the 13th is a Sunday)."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def test_a_sunday_request_in_the_village_starts_on_monday_morning() -> None:
    when = response_deadlines(at(13, 15, 51), REPAIR, VILLAGE, on_duty=False)
    assert when.starts_at == at(14, 8)
    assert when.ack_due == at(14, 12)
    assert when.due == at(18, 8)
    assert not when.on_duty


def test_the_time_to_respond_skips_the_lunch_break_and_the_night() -> None:
    assert VILLAGE.add_open_time(at(11, 11), dt.timedelta(hours=2)) == at(11, 15)
    assert VILLAGE.add_open_time(at(11, 17), dt.timedelta(hours=2)) == at(12, 9)
    assert VILLAGE.add_open_time(at(12, 17), dt.timedelta(hours=2)) == at(14, 9), "Saturday evening runs on to Monday"


def test_urgent_safety_matters_keep_the_wall_clock() -> None:
    when = response_deadlines(at(13, 15), {"ack": 1, "done": 24}, VILLAGE, on_duty=True)
    assert (when.ack_due, when.due, when.starts_at) == (at(13, 16), at(14, 15), at(13, 15))


def test_open_moments_and_the_next_opening() -> None:
    assert VILLAGE.is_open(at(11, 10)) and not VILLAGE.is_open(at(11, 12, 30)) and not VILLAGE.is_open(at(13, 10))
    assert VILLAGE.next_open(at(11, 12, 30)) == at(11, 14)
    assert VILLAGE.next_open(at(11, 10)) == at(11, 10)
    assert TOWN.next_open(at(13, 20)) == at(14, 8, 30), "the town office opens on Sundays too, not at night"


@given(start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31),
                          timezones=st.just(TZ)),
       minutes=st.integers(min_value=0, max_value=60 * 80))
def test_a_deadline_always_falls_in_office_hours_and_never_before_the_request(start: dt.datetime, minutes: int) -> None:
    due = VILLAGE.add_open_time(start, dt.timedelta(minutes=minutes))
    assert due >= start
    local = due.astimezone(TZ)
    assert local.weekday() != 6
    assert dt.time(8) <= local.time() <= dt.time(12) or dt.time(14) <= local.time() <= dt.time(18)
    assert VILLAGE.add_open_time(start, dt.timedelta(minutes=minutes + 30)) >= due

