"""A month of known work orders and ratings in two communities, for the figures page and its spreadsheet.

Filed in the month before the test clock's (so every deadline has passed and the figures are final), with
维修 4 h to acknowledge and 72 h to finish, 投诉 24 h and 120 h, in Shanghai time:

| order | community      | filed     | acknowledged        | closed               | rated |
|-------|----------------|-----------|---------------------|----------------------|-------|
| A1 维修 | default        | day 2 09  | day 2 10 (1 h)       | 已办结 day 3 09 (24 h) | 5     |
| A2 维修 | default        | day 4 09  | day 4 15 (6 h, late) | open (处理中)          |       |
| A3 投诉 | default        | day 5 09  | never                | open                 |       |
| Q1 维修 | qinghe-village | day 6 09  | day 6 09:30 (0.5 h)  | 已办结 day 6 12 (3 h)  | 2     |
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.backend import workorders
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Community, WorkOrder
from bot.backend.ratings import record_rating
from bot.backend.residents import ensure_community, ensure_identity
from bot.backend.staff import create_staff

TZ = ZoneInfo("Asia/Shanghai")
DEADLINES = {"维修": {"ack": 4, "done": 72}, "投诉": {"ack": 24, "done": 120}}


def previous_month(today: dt.date) -> dt.date:
    """The first day of the month before `today`'s."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@dataclass
class Month:
    """The seeded month (YYYY-MM) and the numbers of its orders."""

    month: str
    numbers: dict[str, str]


def seed_month(database_url: str, today: dt.date) -> Month:
    """The orders and ratings of the module docstring, in the month before `today`."""
    first = previous_month(today)

    def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(first.replace(day=day), dt.time(hour, minute), TZ)

    async def run() -> dict[str, str]:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            residents: dict[int, int] = {}

            async def order(c: Community, category: str, filed: dt.datetime) -> WorkOrder:
                if c.id not in residents:
                    residents[c.id] = (await ensure_identity(session, "web", f"r-{c.code}", c)).resident_id
                return await workorders.file_work_order(
                    session, community_id=c.id, resident_id=residents[c.id], conversation_id=None,
                    category=category, description="楼道灯坏了，电话13800001234", location=None,
                    contact_phone="13800001234", service_id=None, deadlines=DEADLINES, local_day=filed.date(),
                    now=filed)

            async def move(o: WorkOrder, status: str, when: dt.datetime) -> None:
                await workorders.change_status(session, o, status, actor="zhang", now=when)

            async def rate(o: WorkOrder, score: int, when: dt.datetime) -> None:
                rating = await record_rating(session, community_id=o.community_id, resident_id=o.resident_id,
                                             subject_type="work_order", subject_id=o.id, score=score)
                rating.created_at = when

            default = await ensure_community(session, "default", "幸福里社区")
            village = await ensure_community(session, "qinghe-village", "清河村")
            a1 = await order(default, "维修", at(2, 9))
            await move(a1, "已受理", at(2, 10))
            await move(a1, "已办结", at(3, 9))
            await rate(a1, 5, at(3, 10))
            a2 = await order(default, "维修", at(4, 9))
            await move(a2, "处理中", at(4, 15))
            a3 = await order(default, "投诉", at(5, 9))
            q1 = await order(village, "维修", at(6, 9))
            await move(q1, "已受理", at(6, 9, 30))
            await move(q1, "已办结", at(6, 12))
            await rate(q1, 2, at(6, 13))
            numbers = {"A1": a1.number, "A2": a2.number, "A3": a3.number, "Q1": q1.number}
        await engine.dispose()
        return numbers

    return Month(f"{first:%Y-%m}", asyncio.run(run()))


def make_street_office(database_url: str, username: str, codes: list[str],
                       password: str = "correct-horse-battery") -> str:
    """A street-office account overseeing the communities with these codes (created if needed)."""

    async def run() -> None:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            oversees = [await ensure_community(session, code, code) for code in codes]
            await create_staff(session, username, password, community=None, role="street", oversees=oversees)
        await engine.dispose()

    asyncio.run(run())
    return password
