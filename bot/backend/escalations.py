"""Escalations: conversations handed to community staff, and handed back."""

from __future__ import annotations

import copy

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Conversation, Escalation, StaffUser, utcnow
from bot.backend.statuses import EscalationStatus
from bot.errors import NotFound

OPEN_STATUSES = (EscalationStatus.WAITING, EscalationStatus.IN_PROGRESS)

# How soon a person must look, by why the conversation was handed over (lower is sooner): a danger first;
# then a resident waiting for a person (asked for one, or chased an order that is late); then the
# assistant's own failures; then follow-ups of poor ratings, which matter but wait without harm.
URGENCY: dict[str, int] = {
    "emergency": 0,
    "requested": 1, "urge": 1, "overdue": 1,
    "error": 2, "fallback": 2,
    "bad_rating": 3,
}
OTHER_URGENCY = 2


def urgency(reason: str) -> int:
    """The inbox rank of a hand-over reason (see URGENCY)."""
    return URGENCY.get(reason, OTHER_URGENCY)


async def open_escalation(
    session: AsyncSession, conversation: Conversation, reason: str, *, urgent: bool = False, pause: bool = True
) -> Escalation:
    """Bring the conversation to staff (reusing an open escalation).

    With `pause`, staff take over and the assistant stays silent; emergencies and poor ratings are
    flagged to staff without pausing, so the resident keeps getting safety guidance meanwhile.
    """
    stmt = select(Escalation).where(
        Escalation.conversation_id == conversation.id, Escalation.status.in_(OPEN_STATUSES)
    )
    existing = (await session.execute(stmt)).unique().scalars().first()
    if pause:
        conversation.status = "handoff"
    if existing is not None:
        existing.urgent = existing.urgent or urgent
        return existing
    esc = Escalation(
        conversation_id=conversation.id, community_id=conversation.community_id, reason=reason, urgent=urgent
    )
    session.add(esc)
    await session.flush()
    return esc


def visible_to(staff: StaffUser) -> list[ColumnElement[bool]]:
    """WHERE clauses limiting escalations to what this staff member may see."""
    return [] if staff.role == "admin" else [Escalation.community_id == staff.community_id]


async def list_for_staff(session: AsyncSession, staff: StaffUser, *, open_only: bool = True,
                         mine: bool = False) -> list[Escalation]:
    """Escalations the staff member may see, by urgency of their reason and then longest waiting first.

    `mine` keeps those this staff member has taken on.
    """
    stmt = select(Escalation).where(*visible_to(staff))
    if open_only:
        stmt = stmt.where(Escalation.status.in_(OPEN_STATUSES))
    if mine:
        stmt = stmt.where(Escalation.assigned_staff_id == staff.id)
    rank = case(URGENCY, value=Escalation.reason, else_=OTHER_URGENCY)
    stmt = stmt.order_by(rank, Escalation.created_at, Escalation.id)
    return list((await session.execute(stmt)).unique().scalars())


async def get_for_staff(session: AsyncSession, staff: StaffUser, escalation_id: int) -> Escalation:
    """One escalation, or NotFound when it does not exist or belongs to another community."""
    stmt = select(Escalation).where(Escalation.id == escalation_id, *visible_to(staff))
    esc = (await session.execute(stmt)).unique().scalar_one_or_none()
    if esc is None:
        raise NotFound("escalation not found")
    return esc


def claim(esc: Escalation, staff: StaffUser) -> None:
    """Take the escalation on."""
    if esc.status == EscalationStatus.WAITING:
        esc.status = EscalationStatus.IN_PROGRESS
        esc.claimed_at = utcnow()
    if esc.assigned_staff_id is None:
        esc.assigned_staff_id = staff.id


def release(esc: Escalation, conversation: Conversation, outcome: str | None = None) -> None:
    """Hand the conversation back to the assistant and end the escalation."""
    esc.status = EscalationStatus.RELEASED
    esc.closed_at = utcnow()
    if outcome:
        esc.outcome = outcome
    conversation.status = "bot"
    state = copy.deepcopy(conversation.state or {})
    state.pop("handoff_notified", None)
    conversation.state = state


def close(esc: Escalation, conversation: Conversation, outcome: str) -> None:
    """End the escalation with an outcome; the assistant answers again."""
    release(esc, conversation, outcome)
    esc.status = EscalationStatus.CLOSED
