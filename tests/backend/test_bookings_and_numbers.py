"""Backend rules residents rely on: numbers never repeat, slots never overbook, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import bookings
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Resident
from bot.backend.numbering import next_number
from bot.backend.residents import ensure_community
from knowledge.schema import Booking
from tests.conftest import FixedClock

SCHEDULE = bookings.SlotSchedule(hours="08:30-12:00,13:30-18:00", slot_minutes=60, capacity=2)
TZ = ZoneInfo("Asia/Shanghai")


def test_numbers_are_unique_under_concurrency(any_database_url: str) -> None:
    async def run() -> list[str]:
        engine = create_engine(any_database_url)
        maker = create_sessionmaker(engine)

        async def one() -> str:
            async with maker() as session, session.begin():
                return await next_number(session, "GD", dt.date(2026, 11, 29))

        numbers = await asyncio.gather(*(one() for _ in range(20)))
        await engine.dispose()
        return list(numbers)

    numbers = asyncio.run(run())
    assert len(set(numbers)) == 20
    assert sorted(numbers)[0] == "GD20261129001" and sorted(numbers)[-1] == "GD20261129020"


def test_slots_are_cut_from_opening_hours_and_never_overbooked(any_database_url: str, clock: FixedClock) -> None:
    day = clock.today + dt.timedelta(days=3)

    async def run() -> tuple[int, list[bool]]:
        engine = create_engine(any_database_url)
        maker = create_sessionmaker(engine)
        async with maker() as session, session.begin():
            c = await ensure_community(session, "default", "幸福里社区")
            resident = Resident(community_id=c.id)
            session.add(resident)
            await session.flush()
            free = await bookings.free_slots(session, c.id, "bathing-assistance", day, SCHEDULE, now=clock())
            slot_id, cid, rid = free[0].id, c.id, resident.id
        count = len(free)

        async def take(i: int) -> bool:
            async with maker() as session, session.begin():
                b = await bookings.book(session, community_id=cid, resident_id=rid, conversation_id=None,
                                        service_id="bathing-assistance", slot_id=slot_id, people=1,
                                        name=f"居民{i}", phone="13800000000", local_day=day)
                return b is not None

        results = await asyncio.gather(*(take(i) for i in range(5)))
        await engine.dispose()
        return count, list(results)

    count, results = asyncio.run(run())
    # 08:30-12:00 gives 3 one-hour slots, 13:30-18:00 gives 4.
    assert count == 7
    assert results.count(True) == 2, "capacity 2 means exactly two of five concurrent bookings succeed"


def test_cut_slots_respects_weekdays() -> None:
    monday = dt.date(2026, 11, 30)
    only_weekend = bookings.SlotSchedule(hours="09:00-17:00", weekdays=[5, 6])
    assert bookings.cut_slots(only_weekend, monday) == []
    assert len(bookings.cut_slots(only_weekend, monday + dt.timedelta(days=5))) == 8


def test_hours_written_any_way_the_catalog_check_accepts_are_cut_into_slots() -> None:
    """13:30～18:00 and 8:30至12:00 pass the catalog check, so the slots must come from them too; an evening
    that ends at 24:00 ends at the next midnight."""
    monday = dt.date(2026, 11, 30)
    written = bookings.SlotSchedule(hours="8:30至12:00，13:30～18:00", slot_minutes=60)
    assert bookings.cut_slots(written, monday) == bookings.cut_slots(SCHEDULE, monday)
    late = bookings.cut_slots(bookings.SlotSchedule(hours="22:00-24:00"), monday)
    assert [(s.astimezone(TZ).strftime("%d %H:%M"), e.astimezone(TZ).strftime("%d %H:%M")) for s, e in late] == [
        ("30 22:00", "30 23:00"), ("30 23:00", "01 00:00")]


async def _community_and_resident(session: AsyncSession) -> tuple[int, int]:
    c = await ensure_community(session, "default", "幸福里社区")
    resident = Resident(community_id=c.id)
    session.add(resident)
    await session.flush()
    return c.id, resident.id


def test_a_room_is_booked_whole_and_places_come_back_on_cancel(any_database_url: str, clock: FixedClock) -> None:
    """活动室 (unit room, one room): a group of 15 takes it; a group of 20 finds the hour gone."""
    day = clock.today + dt.timedelta(days=3)
    room = bookings.SlotSchedule(hours="09:00-12:00", slot_minutes=90, capacity=1)

    async def run() -> tuple[int, bool, int, int]:
        engine = create_engine(any_database_url)
        maker = create_sessionmaker(engine)
        async with maker() as session, session.begin():
            cid, rid = await _community_and_resident(session)
            slot = (await bookings.free_slots(session, cid, "venue-booking", day, room, now=clock()))[0]
            first = await bookings.book(session, community_id=cid, resident_id=rid, conversation_id=None,
                                        service_id="venue-booking", slot_id=slot.id, people=15, name="合唱队",
                                        phone="13800000001", local_day=day, places=1)
            second = await bookings.book(session, community_id=cid, resident_id=rid, conversation_id=None,
                                         service_id="venue-booking", slot_id=slot.id, people=20, name="舞蹈队",
                                         phone="13800000002", local_day=day, places=1)
            assert first is not None and first.people == 15 and first.places == 1
            free_after = len(await bookings.free_slots(session, cid, "venue-booking", day, room, now=clock()))
            await bookings.cancel(session, first)
            free_again = len(await bookings.free_slots(session, cid, "venue-booking", day, room, now=clock()))
        await engine.dispose()
        return free_after, second is None, free_again, slot.booked

    free_after, refused, free_again, booked = asyncio.run(run())
    assert refused, "the second group must not get the same hour"
    assert (free_after, free_again) == (1, 2), "of two 90-minute slots one is taken, then given back"
    assert booked == 0


def test_places_of_a_party_are_taken_and_moved_together(any_database_url: str, clock: FixedClock) -> None:
    """助餐 for two takes two places, and a move takes two in the new slot and gives two back."""
    day = clock.today + dt.timedelta(days=3)

    async def run() -> tuple[list[int], str | None]:
        engine = create_engine(any_database_url)
        maker = create_sessionmaker(engine)
        async with maker() as session, session.begin():
            cid, rid = await _community_and_resident(session)
            free = await bookings.free_slots(session, cid, "meal-assistance", day, SCHEDULE, now=clock())
            b = await bookings.book(session, community_id=cid, resident_id=rid, conversation_id=None,
                                    service_id="meal-assistance", slot_id=free[0].id, people=2, name="王秀英",
                                    phone="13800000000", local_day=day, address=None)
            assert b is not None and bookings.places_of(b) == 2
            assert await bookings.free_slots(session, cid, "meal-assistance", day, SCHEDULE, places=1,
                                             now=clock()) == free[1:], "the first slot (capacity 2) is full"
            assert await bookings.reschedule(session, b, free[1].id)
            slots = await bookings.day_slots(session, cid, "meal-assistance", day)
            contact = await bookings.latest_contact(session, 1)
        await engine.dispose()
        return [s.booked for s in slots[:2]], None if contact is None else contact[0]

    booked, contact = asyncio.run(run())
    assert booked == [0, 2]
    assert contact is None, "a booking made outside any conversation is not offered to one"


def test_the_catalog_says_what_a_booking_takes() -> None:
    """A room is one place whatever the party; sold by the place, the largest party must fit a slot."""
    room = Booking(unit="room", capacity=1, max_people=40)
    assert room.places(15) == 1 and Booking(capacity=10, max_people=2).places(2) == 2
    with pytest.raises(ValidationError, match="unit: room"):
        Booking(capacity=1, max_people=4)  # a couple could never book a session sold by the seat
    with pytest.raises(ValidationError):
        Booking(weekdays=[7])


@pytest.mark.parametrize(("booked", "reminded"), [
    (dt.datetime(2026, 12, 1, 9, 0), True),       # a week ahead
    (dt.datetime(2026, 12, 7, 17, 59), True),     # the afternoon before
    (dt.datetime(2026, 12, 7, 18, 0), False),     # the evening before: the reminder's moment has passed
    (dt.datetime(2026, 12, 8, 8, 0), False),      # the same morning
])
def test_only_a_booking_made_before_the_evening_before_is_reminded(booked: dt.datetime, reminded: bool) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    start = dt.datetime(2026, 12, 8, 9, 30, tzinfo=tz)
    assert bookings.reminder_moment(start) == dt.datetime(2026, 12, 7, 18, 0, tzinfo=tz)
    assert bookings.gets_reminder(booked.replace(tzinfo=tz).astimezone(dt.UTC), start) is reminded
