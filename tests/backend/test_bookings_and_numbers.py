"""Backend rules residents rely on: numbers never repeat, slots never overbook, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.backend import bookings
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Resident
from bot.backend.numbering import next_number
from bot.backend.residents import ensure_community

SCHEDULE = bookings.SlotSchedule(hours="08:30-12:00,13:30-18:00", slot_minutes=60, capacity=2)


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


def test_slots_are_cut_from_opening_hours_and_never_overbooked(any_database_url: str) -> None:
    day = dt.date.today() + dt.timedelta(days=3)

    async def run() -> tuple[int, list[bool]]:
        engine = create_engine(any_database_url)
        maker = create_sessionmaker(engine)
        async with maker() as session, session.begin():
            c = await ensure_community(session, "default", "幸福里社区")
            resident = Resident(community_id=c.id)
            session.add(resident)
            await session.flush()
            free = await bookings.free_slots(session, c.id, "bathing-assistance", day, SCHEDULE)
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
