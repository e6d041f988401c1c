"""What staff do, shared by the JSON staff API and the console: reply, hand back, move work orders on.

Each function records the action in the audit log and tells the resident through their channel, so
both front ends behave the same and neither can forget one of the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import escalations, workorders
from bot.backend.models import AuditLog, Conversation, Escalation, Message, StaffUser, WorkOrder
from bot.backend.outbox import notify
from bot.backend.statuses import WorkOrderStatus
from bot.backend.wording import joined, say
from bot.errors import NotFound

HANDED_BACK = "工作人员已结束人工服务。后面有需要，直接跟我说就行。"


def audit(session: AsyncSession, staff: StaffUser | None, action: str, object_type: str, object_id: object,
          **detail: Any) -> None:
    """Record a staff action (staff is None for a failed login of an unknown account)."""
    session.add(AuditLog(staff_id=staff.id if staff else None, action=action, object_type=object_type,
                         object_id=str(object_id), detail=detail))


async def last_inbound_text(session: AsyncSession, conversation_id: int) -> str:
    """The resident's latest message, shown next to each escalation."""
    stmt = (select(Message.text).where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(Message.id.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none() or ""


@dataclass
class TranscriptLine:
    """One message with what the assistant understood of it (resident messages only)."""

    id: int
    sender: str
    text: str
    created_at: Any
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]] = field(default_factory=list)


async def transcript(session: AsyncSession, conversation_id: int, after: int = 0) -> list[TranscriptLine]:
    """The conversation's messages after a message id, oldest first."""
    stmt = (select(Message).where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id))
    return [TranscriptLine(id=m.id, sender=m.sender, text=m.text, created_at=m.created_at, intent=m.intent,
                           confidence=m.confidence, entities=list((m.parse or {}).get("entities", [])))
            for m in (await session.execute(stmt)).scalars()]


async def reply(session: AsyncSession, esc: Escalation, staff: StaffUser, text: str) -> Message | None:
    """Answer the resident through the conversation's channel; replying claims the escalation."""
    escalations.claim(esc, staff)
    message = await notify(session, esc.conversation, text, kind="staff_reply", sender="staff", staff_id=staff.id)
    audit(session, staff, "reply", "escalation", esc.id)
    return message


def claim(session: AsyncSession, esc: Escalation, staff: StaffUser) -> None:
    """Take the escalation on, so colleagues see someone has it."""
    escalations.claim(esc, staff)
    audit(session, staff, "claim", "escalation", esc.id)


async def hand_back(session: AsyncSession, esc: Escalation, staff: StaffUser, *, outcome: str | None = None) -> None:
    """Release (no outcome) or close (with an outcome) and let the assistant answer again."""
    was_paused = esc.conversation.status == "handoff"
    if outcome:
        escalations.close(esc, esc.conversation, outcome)
    else:
        escalations.release(esc, esc.conversation)
    if was_paused:
        await notify(session, esc.conversation, HANDED_BACK, kind="status")
    if outcome:
        audit(session, staff, "close", "escalation", esc.id, outcome=outcome)
    else:
        audit(session, staff, "release", "escalation", esc.id)


async def visible_work_order(session: AsyncSession, staff: StaffUser, number: str) -> WorkOrder:
    """A work order by number, or NotFound when missing or of another community."""
    order = await workorders.get_by_number(session, number)
    if order is None or (staff.role != "admin" and order.community_id != staff.community_id):
        raise NotFound("work order not found")
    return order


async def change_work_order_status(session: AsyncSession, order: WorkOrder, staff: StaffUser, status: str,
                                   note: str = "", now: dt.datetime | None = None, *,
                                   rating_buttons: Callable[[str], list[dict[str, str]]]) -> None:
    """Move a work order on; the resident is told, and asked for a rating once it is done.

    `rating_buttons` makes the grade buttons for a ticket number (actions.rating.rating_buttons): their
    payloads are the dialogue's business, passed in so the backend never imports the actions above it.
    Raises InvalidInput for an unknown status or a move the workflow does not allow.
    """
    await workorders.change_status(session, order, status, note=note, actor=staff.username, now=now)
    audit(session, staff, "status", "work_order", order.number, status=status, note=note)
    if order.conversation_id is None:
        return
    conv = await session.get(Conversation, order.conversation_id)
    if conv is None:
        return
    await notify(session, conv, say("work_order_status", number=order.number, status=order.status,
                                    note=joined("note_joiner", note)), kind="status")
    if order.status == WorkOrderStatus.DONE:
        await notify(session, conv, say("work_order_done_rating", number=order.number), kind="rating_request",
                     buttons=rating_buttons(order.number))
