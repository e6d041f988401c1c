"""Work orders (接诉即办): filing, status changes with history, and look-ups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import WorkOrder, WorkOrderEvent, utcnow
from bot.backend.numbering import WORK_ORDER_PREFIX, by_number, next_number
from bot.backend.numbering import find_for_resident as find_numbered
from bot.errors import InvalidInput

STATUSES = ("待受理", "已受理", "处理中", "已办结", "已关闭")
# Allowed moves; 已办结 and 已关闭 end a work order, and only staff reopen one (back to 处理中).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "待受理": ("已受理", "处理中", "已办结", "已关闭"),
    "已受理": ("处理中", "已办结", "已关闭"),
    "处理中": ("已办结", "已关闭"),
    "已办结": ("处理中", "已关闭"),
    "已关闭": ("处理中",),
}
DEFAULT_DEADLINES = {"ack": 4, "done": 72}


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
) -> WorkOrder:
    """Create a numbered work order with its response deadlines from the community's settings."""
    now = now or utcnow()
    limits = deadlines.get("紧急" if urgent else category) or deadlines.get(category) or DEFAULT_DEADLINES
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
        status="待受理",
        ack_due_at=now + dt.timedelta(hours=limits.get("ack", 4)),
        due_at=now + dt.timedelta(hours=limits.get("done", 72)),
        attachments=list(attachments or []),
        created_at=now,
    )
    session.add(order)
    await session.flush()
    session.add(WorkOrderEvent(work_order_id=order.id, status="待受理", note="居民提交诉求", actor="resident"))
    await session.flush()
    return order


async def change_status(
    session: AsyncSession, order: WorkOrder, status: str, *, note: str = "", actor: str = "system"
) -> WorkOrderEvent:
    """Move a work order to a new status and record who did it and why."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r}")
    if status != order.status and status not in TRANSITIONS[order.status]:
        raise InvalidInput(f"cannot move from {order.status} to {status}")
    order.status = status
    if status in ("已办结", "已关闭"):
        order.closed_at = utcnow()
    event = WorkOrderEvent(work_order_id=order.id, status=status, note=note, actor=actor)
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


def is_overdue(order: WorkOrder, now: dt.datetime | None = None) -> bool:
    """Open past its completion deadline."""
    now = now or utcnow()
    due = order.due_at if order.due_at.tzinfo else order.due_at.replace(tzinfo=dt.UTC)
    return order.status not in ("已办结", "已关闭") and due < now
