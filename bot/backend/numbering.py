"""Numbers residents read out on the phone: GD20261129001 for work orders, YY… for bookings."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import DailyCounter

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


def quoted_part(number: str) -> tuple[str, str] | None:
    """The letters and digits of a number a resident read out only in part (GD0316, 1308), or None when
    too little of it is left to pick one of theirs (fewer than three digits)."""
    m = re.fullmatch(r"([A-Z]*)\D*(\d{3,})", number.strip().upper())
    return (m.group(1), m.group(2)) if m else None
