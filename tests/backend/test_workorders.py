"""Work orders: deadlines in office hours, withdrawing by the resident, urges and reminders on the record."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.backend import workorders
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import DailyCounter, WorkOrder
from bot.backend.office_hours import OfficeHours
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from bot.backend.statuses import WorkOrderStatus
from bot.errors import InvalidInput

TZ = ZoneInfo("Asia/Shanghai")
SUNDAY_AFTERNOON = dt.datetime(2026, 12, 13, 15, 51, tzinfo=TZ)
VILLAGE = OfficeHours.parse("08:00-12:00,14:00-18:00", [0, 1, 2, 3, 4, 5], "Asia/Shanghai")
DEADLINES = {"维修": {"ack": 4, "done": 96}, "安全隐患": {"ack": 1, "done": 24}}


def _with_order(database_url: str, check: Callable[[Any, WorkOrder], Awaitable[None]], *,
                category: str = "维修") -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, "qinghe-village", "清河村")
            identity = await ensure_identity(session, "web", "resident-1", c)
            conv, _ = await ensure_conversation(session, identity, c)
            order = await workorders.file_work_order(
                session, community_id=c.id, resident_id=identity.resident_id, conversation_id=conv.id,
                category=category, description="路灯坏了", location="三组老王家门前", contact_phone="13900001111",
                service_id=None, deadlines=DEADLINES, local_day=SUNDAY_AFTERNOON.date(), now=SUNDAY_AFTERNOON,
                hours=VILLAGE, on_duty_categories=("安全隐患",))
            await check(session, order)
        await engine.dispose()

    asyncio.run(run())


def test_deadlines_of_a_sunday_request_fall_on_working_days(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        assert order.ack_due_at.astimezone(TZ) == dt.datetime(2026, 12, 14, 12, tzinfo=TZ)
        assert order.due_at.astimezone(TZ) == dt.datetime(2026, 12, 18, 8, tzinfo=TZ)

    _with_order(database_url, check)


def test_a_safety_hazard_is_answered_by_whoever_is_on_duty(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        assert order.ack_due_at.astimezone(TZ) == SUNDAY_AFTERNOON + dt.timedelta(hours=1)

    _with_order(database_url, check, category="安全隐患")


def test_a_pending_order_is_withdrawn_by_its_resident_with_a_note(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        later = SUNDAY_AFTERNOON + dt.timedelta(hours=1)
        await workorders.withdraw(session, order, now=later)
        assert order.status == "已关闭"
        assert order.events[-1].note == workorders.WITHDRAWN_NOTE and order.events[-1].actor == "resident"
        assert order.closed_at is not None and order.closed_at.astimezone(TZ) == later
        assert await workorders.for_resident(session, order.resident_id, open_only=True) == []

    _with_order(database_url, check)


def test_an_order_staff_took_on_is_not_the_residents_to_withdraw(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        await workorders.change_status(session, order, "已受理", actor="staff")
        with pytest.raises(InvalidInput):
            await workorders.withdraw(session, order)
        assert order.status == "已受理"

    _with_order(database_url, check)


def test_an_urge_is_kept_on_the_order_without_changing_its_status(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        assert workorders.last_noted(order, workorders.URGED_NOTE) is None
        moment = SUNDAY_AFTERNOON + dt.timedelta(minutes=5)
        await workorders.note_event(session, order, workorders.URGED_NOTE, now=moment)
        assert order.status == "待受理"
        assert workorders.last_noted(order, workorders.URGED_NOTE) == moment
        assert [o.number for o in await workorders.for_resident(session, order.resident_id)] == [order.number]

    _with_order(database_url, check)


def test_overdue_only_while_open_and_past_the_deadline(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        assert not workorders.is_overdue(order, SUNDAY_AFTERNOON + dt.timedelta(days=3))
        assert workorders.is_overdue(order, SUNDAY_AFTERNOON + dt.timedelta(days=6))
        await workorders.change_status(session, order, "已办结", actor="staff")
        assert not workorders.is_overdue(order, SUNDAY_AFTERNOON + dt.timedelta(days=6))

    _with_order(database_url, check)


def test_a_busy_days_number_grows_a_digit_and_is_found_whole_or_in_part(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        counter = await session.get(DailyCounter, ("GD", "20261213"))
        counter.value = 999
        busy = await workorders.file_work_order(
            session, community_id=order.community_id, resident_id=order.resident_id,
            conversation_id=order.conversation_id, category="维修", description="楼道灯不亮", location=None,
            contact_phone=None, service_id=None, deadlines=DEADLINES, local_day=SUNDAY_AFTERNOON.date(),
            now=SUNDAY_AFTERNOON)
        assert (order.number, busy.number) == ("GD20261213001", "GD202612131000")
        rid = order.resident_id
        for said in ("GD202612131000", "gd202612131000", "1000", "GD131000", "2131000"):
            assert await workorders.find_for_resident(session, rid, said) is busy, said
        assert await workorders.find_for_resident(session, rid, "001") is order
        assert await workorders.find_for_resident(session, rid, "20261213") is None  # fits both
        assert await workorders.find_for_resident(session, rid + 1, "1000") is None  # someone else's

    _with_order(database_url, check)


def test_statuses_are_stored_as_the_chinese_labels_staff_read(database_url: str) -> None:
    async def check(session: Any, order: WorkOrder) -> None:
        await workorders.change_status(session, order, "已受理", actor="staff")
        await workorders.change_status(session, order, WorkOrderStatus.DONE, actor="staff")
        stored = (await session.execute(text("SELECT status FROM work_orders"))).scalars().all()
        history = (await session.execute(text("SELECT status FROM work_order_events ORDER BY id"))).scalars().all()
        assert stored == ["已办结"]
        assert history == ["待受理", "已受理", "已办结"]
        with pytest.raises(InvalidInput):
            await workorders.change_status(session, order, WorkOrderStatus.ACCEPTED, actor="staff")
        with pytest.raises(InvalidInput):
            await workorders.change_status(session, order, "办完了", actor="staff")

    _with_order(database_url, check)
