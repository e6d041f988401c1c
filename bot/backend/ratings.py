"""好差评 ratings: five grades mapped to 5…1, with a follow-up for poor ones, and what a resident can rate.

What can be rated is what the resident received: a work order 已办结, or a booking whose time has come
and that was not cancelled. A rating is taken over a few messages (差评, then 1分, then 就是饭太咸), so it
can be amended and added to after it is stored.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, Message, Rating, Slot, WorkOrder
from bot.backend.statuses import USED_BOOKING_STATUSES, FollowUpStatus, WorkOrderStatus

LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOW_UP_AT_OR_BELOW = 2
RATE_INTENT = "/rate_service"


def grade(score: int) -> str:
    """好评 for 4–5, 中评 for 3, 差评 for 1–2."""
    return "好评" if score >= 4 else "中评" if score == 3 else "差评"


def _clamp(score: int) -> int:
    return max(1, min(5, int(score)))


async def record_rating(
    session: AsyncSession,
    *,
    community_id: int,
    resident_id: int,
    subject_type: str,
    subject_id: int,
    score: int,
    comment: str = "",
    service_id: str | None = None,
) -> Rating:
    """Store a rating; a score of 2 or lower is marked 待回访 for staff."""
    score = _clamp(score)
    rating = Rating(
        community_id=community_id,
        resident_id=resident_id,
        subject_type=subject_type,
        subject_id=subject_id,
        service_id=service_id,
        score=score,
        grade=grade(score),
        label=LABELS[score],
        comment=comment[:1000],
        follow_up_status=FollowUpStatus.TO_VISIT if score <= FOLLOW_UP_AT_OR_BELOW else None,
    )
    session.add(rating)
    await session.flush()
    return rating


@dataclass(frozen=True)
class Amendment:
    """How a change of score moved a rating across the follow-up line."""

    now_poor: bool      # it needs a follow-up it did not need before
    no_longer_poor: bool  # it needed one and no longer does


def amend_score(rating: Rating, score: int) -> Amendment:
    """A later score in the same exchange replaces the first (差评, then 2分); the follow-up follows it.

    A follow-up staff have already moved on (已回访, 已整改) is left as it is.
    """
    was_poor = rating.score <= FOLLOW_UP_AT_OR_BELOW
    score = _clamp(score)
    rating.score, rating.grade, rating.label = score, grade(score), LABELS[score]
    poor = score <= FOLLOW_UP_AT_OR_BELOW
    if poor and rating.follow_up_status is None:
        rating.follow_up_status = FollowUpStatus.TO_VISIT
    elif not poor and rating.follow_up_status == FollowUpStatus.TO_VISIT:
        rating.follow_up_status = None
    return Amendment(now_poor=poor and not was_poor, no_longer_poor=was_poor and not poor)


def add_comment(rating: Rating, comment: str) -> None:
    """What the resident adds after grading (就是饭太咸) joins the rating's comment."""
    if comment and comment not in rating.comment:
        rating.comment = "，".join(p for p in (rating.comment, comment) if p)[:1000]


async def completed_work_orders(session: AsyncSession, resident_id: int, since: dt.datetime,
                                limit: int = 3) -> list[WorkOrder]:
    """The resident's work orders closed as 已办结 since a moment, the latest first."""
    stmt = (select(WorkOrder)
            .where(WorkOrder.resident_id == resident_id, WorkOrder.status == WorkOrderStatus.DONE,
                   (WorkOrder.closed_at.is_(None)) | (WorkOrder.closed_at >= since))
            .order_by(WorkOrder.id.desc()).limit(limit))
    return list((await session.execute(stmt)).scalars())


async def used_bookings(session: AsyncSession, resident_id: int, now: dt.datetime, since: dt.datetime,
                        limit: int = 3) -> list[Booking]:
    """The resident's bookings whose time came between `since` and now, the latest first: not cancelled and
    not marked 未到场 (a resident who did not come has nothing to rate)."""
    stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.resident_id == resident_id,
                   Booking.status.in_(USED_BOOKING_STATUSES),
                   Slot.start_at <= now, Slot.start_at >= since)
            .order_by(Slot.start_at.desc(), Booking.id.desc()).limit(limit))
    return list((await session.execute(stmt)).unique().scalars())


async def rated_subjects(session: AsyncSession, resident_id: int) -> set[tuple[str, int]]:
    """(subject type, id) of everything the resident has rated."""
    stmt = select(Rating.subject_type, Rating.subject_id).where(Rating.resident_id == resident_id)
    return {(t, i) for t, i in (await session.execute(stmt)).all()}


async def requested_rating(session: AsyncSession, conversation_id: int) -> str | None:
    """The number a rating request asks about when it is the last thing said to the resident, else None.

    A rating request (pushed when a work order closes or a booking is over, or asked by the assistant)
    carries the five grades as buttons whose payloads name the ticket; "" when they name none. The
    message the resident is answering is the latest one sent to them.
    """
    stmt = (select(Message.buttons).where(Message.conversation_id == conversation_id, Message.direction == "out")
            .order_by(Message.id.desc()).limit(1))
    buttons = (await session.execute(stmt)).scalar_one_or_none() or []
    for button in buttons:
        payload = str(button.get("payload", "")) if isinstance(button, dict) else ""
        if payload.startswith(RATE_INTENT):
            try:
                entities = json.loads(payload[len(RATE_INTENT):] or "{}")
            except json.JSONDecodeError:
                continue
            if isinstance(entities, dict) and "rating" in entities:
                return str(entities.get("ticket_id") or "")
    return None


__all__ = [
    "FOLLOW_UP_AT_OR_BELOW", "LABELS", "Amendment", "add_comment", "amend_score", "completed_work_orders",
    "grade", "rated_subjects", "record_rating", "requested_rating", "used_bookings",
]
