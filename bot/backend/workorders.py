"""Work orders (接诉即办): filing, status changes with history, and look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import WorkOrder, WorkOrderEvent, utcnow
from bot.backend.numbering import by_number, next_number
from bot.backend.numbering import find_for_resident as find_numbered
from bot.backend.office_hours import OfficeHours, response_deadlines
from bot.backend.statuses import WorkOrderStatus as Status
from bot.errors import InvalidInput
from bot.ticket_numbers import WORK_ORDER_PREFIX

STATUSES = tuple(Status)
# Allowed moves; 已办结 and 已关闭 end a work order, and only staff reopen one (back to 处理中).
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.PENDING: (Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE, Status.CLOSED),
    Status.ACCEPTED: (Status.IN_PROGRESS, Status.DONE, Status.CLOSED),
    Status.IN_PROGRESS: (Status.DONE, Status.CLOSED),
    Status.DONE: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (Status.IN_PROGRESS,),
}
DEFAULT_DEADLINES = {"ack": 4, "done": 72}
CLOSED = (Status.DONE, Status.CLOSED)
OPEN = tuple(s for s in Status if s not in CLOSED)
# Only a request nobody has taken on yet is the resident's to withdraw; later, staff decide with them.
WITHDRAWABLE = (Status.PENDING,)
WITHDRAWN_NOTE = "居民撤回"
URGED_NOTE = "居民催办"
OVERDUE_NOTE = "居民查询时已超过承诺时限，已提醒工作人员"


async def file_work_order(
    session: AsyncSession,
    *,
    community_id: int,
    resident_id: int,
    conversation_id: int | None,
    category: str,
    description: str,
    location: str | None,
    contact_phone: str | None,
    service_id: str | None,
    deadlines: dict[str, dict[str, int]],
    local_day: dt.date,
    urgent: bool = False,
    attachments: list[dict[str, str]] | None = None,
    now: dt.datetime | None = None,
    hours: OfficeHours | None = None,
    on_duty_categories: Collection[str] = (),
) -> WorkOrder:
    """Create a numbered work order with its response deadlines from the community's settings.

    With the office `hours`, deadlines run in opening time (see `response_deadlines`), except for urgent
    orders and `on_duty_categories`, which someone answers around the clock.
    """
    now = now or utcnow()
    kind = "紧急" if urgent else category
    limits = deadlines.get(kind) or deadlines.get(category) or DEFAULT_DEADLINES
    when = response_deadlines(now, limits, hours, on_duty=urgent or kind in on_duty_categories
                              or category in on_duty_categories)
    order = WorkOrder(
        number=await next_number(session, WORK_ORDER_PREFIX, local_day),
        community_id=community_id,
        resident_id=resident_id,
        conversation_id=conversation_id,
        category=category,
        service_id=service_id,
        description=description,
        location=location,
        contact_phone=contact_phone,
        urgent=urgent,
        status=Status.PENDING,
        ack_due_at=when.ack_due,
        due_at=when.due,
        attachments=list(attachments or []),
        created_at=now,
    )
    session.add(order)
    await session.flush()
    session.add(WorkOrderEvent(work_order_id=order.id, status=Status.PENDING, note="居民提交诉求", actor="resident",
                               created_at=now))
    await session.flush()
    await session.refresh(order, attribute_names=["events"])
    return order


async def change_status(
    session: AsyncSession, order: WorkOrder, status: str, *, note: str = "", actor: str = "system",
    now: dt.datetime | None = None,
) -> WorkOrderEvent:
    """Move a work order to a new status and record who did it and why."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}")
    if status != order.status and status not in TRANSITIONS[Status(order.status)]:
        raise InvalidInput(f"cannot move from {order.status} to {status}")
    now = now or utcnow()
    order.status = status
    if status in CLOSED:
        order.closed_at = now
    event = WorkOrderEvent(work_order_id=order.id, status=status, note=note, actor=actor, created_at=now)
    session.add(event)
    await session.flush()
    await session.refresh(order, attribute_names=["events"])
    return event


async def get_by_number(session: AsyncSession, number: str) -> WorkOrder | None:
    """A work order by its number (case-insensitive)."""
    return await by_number(session, WorkOrder, number)


async def find_for_resident(session: AsyncSession, resident_id: int, number: str) -> WorkOrder | None:
    """The resident's work order by its number or the part of it they read out (see `numbering.find_for_resident`)."""
    return await find_numbered(session, WorkOrder, resident_id, number)


async def latest_for_resident(session: AsyncSession, resident_id: int) -> WorkOrder | None:
    """The resident's most recent work order."""
    stmt = select(WorkOrder).where(WorkOrder.resident_id == resident_id).order_by(WorkOrder.id.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def for_resident(session: AsyncSession, resident_id: int, *, open_only: bool = False,
                       limit: int = 20) -> list[WorkOrder]:
    """The resident's work orders, newest first (only those still open with `open_only`)."""
    stmt = select(WorkOrder).where(WorkOrder.resident_id == resident_id)
    if open_only:
        stmt = stmt.where(WorkOrder.status.not_in(CLOSED))
    stmt = stmt.order_by(WorkOrder.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def withdraw(session: AsyncSession, order: WorkOrder, *, now: dt.datetime | None = None) -> WorkOrderEvent:
    """The resident takes back a request nobody has taken on yet: closed, noted as withdrawn."""
    if order.status not in WITHDRAWABLE:
        raise InvalidInput(f"a work order in status {order.status} cannot be withdrawn by its resident")
    return await change_status(session, order, Status.CLOSED, note=WITHDRAWN_NOTE, actor="resident", now=now)


async def note_event(session: AsyncSession, order: WorkOrder, note: str, *, actor: str = "resident",
                     now: dt.datetime | None = None) -> WorkOrderEvent:
    """Record something that happened to an order without changing its status (an urge, a reminder)."""
    event = WorkOrderEvent(work_order_id=order.id, status=order.status, note=note, actor=actor,
                           created_at=now or utcnow())
    session.add(event)
    await session.flush()
    await session.refresh(order, attribute_names=["events"])
    return event


def last_noted(order: WorkOrder, note: str) -> dt.datetime | None:
    """When the note was last recorded on the order, or None."""
    times = [_aware(e.created_at) for e in order.events if e.note == note]
    return max(times) if times else None


def is_overdue(order: WorkOrder, now: dt.datetime | None = None) -> bool:
    """Open past its completion deadline."""
    return order.status not in CLOSED and _aware(order.due_at) < (now or utcnow())


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
