"""Numbering work orders and bookings, and finding one by the number a resident read out.

The format itself (GD/YY, the day, the count; what part of a number is enough) is `bot.ticket_numbers`.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, DailyCounter, WorkOrder
from bot.ticket_numbers import format_number, matches, quoted_part


async def next_number(session: AsyncSession, prefix: str, local_day: dt.date) -> str:
    """Allocate the next number of the day atomically (an upsert, safe under concurrent turns)."""
    day = local_day.strftime("%Y%m%d")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(DailyCounter)
        .values(prefix=prefix, day=day, value=1)
        .on_conflict_do_update(index_elements=["prefix", "day"], set_={"value": DailyCounter.value + 1})
        .returning(DailyCounter.value)
    )
    value = (await session.execute(stmt)).scalar_one()
    return format_number(prefix, local_day, value)


Numbered = TypeVar("Numbered", WorkOrder, Booking)


async def by_number(session: AsyncSession, model: type[Numbered], number: str) -> Numbered | None:
    """A work order or booking by its full number (case-insensitive)."""
    stmt = select(model).where(model.number == number.upper())
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def find_for_resident(
    session: AsyncSession, model: type[Numbered], resident_id: int, number: str
) -> Numbered | None:
    """The resident's work order or booking by its number, or by the part of it they read out (GD0316,
    1308): people read the date or the tail of a long number. A part that fits several of theirs, or a
    number that is someone else's, finds none."""
    exact = await by_number(session, model, number)
    if exact is not None:
        return exact if exact.resident_id == resident_id else None
    part = quoted_part(number)
    if part is None:
        return None
    # The database narrows to the resident's numbers holding the digits; `matches` decides.
    stmt = select(model).where(model.resident_id == resident_id, model.number.contains(part[1]))
    found = [row for row in (await session.execute(stmt)).unique().scalars() if matches(row.number, number)]
    return found[0] if len(found) == 1 else None
