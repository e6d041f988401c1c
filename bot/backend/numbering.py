"""Numbers residents read out on the phone: GD20261129001 for work orders, YY… for bookings."""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, DailyCounter, WorkOrder

WORK_ORDER_PREFIX = "GD"
BOOKING_PREFIX = "YY"


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
    # Three digits cover a community's day; beyond 999 the number simply grows a digit.
    return f"{prefix}{day}{value:03d}"


Numbered = TypeVar("Numbered", WorkOrder, Booking)


def quoted_part(number: str) -> tuple[str, str] | None:
    """The letters and digits of a number a resident read out only in part (GD0316, 1308), or None when
    too little of it is left to pick one of theirs (fewer than three digits)."""
    m = re.fullmatch(r"([A-Z]*)\D*(\d{3,})", number.strip().upper())
    return (m.group(1), m.group(2)) if m else None


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
    prefix, digits = part
    stmt = select(model).where(model.resident_id == resident_id, model.number.contains(digits))
    if prefix:
        stmt = stmt.where(model.number.startswith(prefix))
    found = (await session.execute(stmt.limit(2))).unique().scalars().all()
    return found[0] if len(found) == 1 else None
