"""好差评 figures for staff (好评率 by week, service and category) and the follow-up of poor ratings.

A poor rating (score ≤ 2) moves 待回访 → 已回访 → 已整改; each step is audit-logged with the staff
member's note, and on 已整改 the resident is told what was done about it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import AuditLog, Booking, Conversation, Escalation, Rating, Resident, StaffUser, WorkOrder
from bot.backend.outbox import notify
from bot.backend.ratings import FOLLOW_UP_AT_OR_BELOW
from bot.backend.staff_actions import audit
from bot.backend.statuses import FollowUpStatus
from bot.backend.wording import joined, say
from bot.errors import InvalidInput, NotFound

NEXT_STEP: dict[str, FollowUpStatus] = {
    FollowUpStatus.TO_VISIT: FollowUpStatus.VISITED,
    FollowUpStatus.VISITED: FollowUpStatus.PUT_RIGHT,
}
FOLLOW_UP_STATUSES = tuple(FollowUpStatus)


@dataclass(frozen=True)
class Share:
    """How many ratings a group has, how many were good (4–5) and poor (1–2)."""

    key: str
    total: int
    good: int
    bad: int = 0

    @property
    def rate(self) -> float | None:
        """好评率: the share of 4–5 among all ratings, None without ratings."""
        return self.good / self.total if self.total else None


def _scoped(stmt: Select, community_id: int | None) -> Select:  # type: ignore[type-arg]
    return stmt if community_id is None else stmt.where(Rating.community_id == community_id)


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week a day falls in."""
    return day - dt.timedelta(days=day.weekday())


async def weekly_shares(session: AsyncSession, community_id: int | None, *, now: dt.datetime, tz: str,
                        weeks: int = 8) -> list[Share]:
    """好评率 of each of the last `weeks` local weeks (Monday first), oldest first; keys are ISO dates."""
    zone = ZoneInfo(tz)
    first = week_start(now.astimezone(zone).date()) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first, dt.time(), zone)
    stmt = _scoped(select(Rating.created_at, Rating.score).where(Rating.created_at >= since), community_id)
    counts: dict[dt.date, list[int]] = {first + dt.timedelta(weeks=i): [0, 0, 0] for i in range(weeks)}
    for created, score in (await session.execute(stmt)).all():
        bucket = counts.get(week_start(created.astimezone(zone).date()))
        if bucket is not None:
            bucket[0] += 1
            bucket[1] += score >= 4
            bucket[2] += score <= FOLLOW_UP_AT_OR_BELOW
    return [Share(day.isoformat(), *c) for day, c in counts.items()]


def _share_columns() -> tuple[object, ...]:
    return (func.count(Rating.id), func.sum(case((Rating.score >= 4, 1), else_=0)),
            func.sum(case((Rating.score <= FOLLOW_UP_AT_OR_BELOW, 1), else_=0)))


async def shares_by_service(session: AsyncSession, community_id: int | None, since: dt.datetime) -> list[Share]:
    """好评率 per catalog service id since a moment ("" for ratings not tied to a service), most rated first."""
    stmt = _scoped(select(Rating.service_id, *_share_columns()).where(Rating.created_at >= since)  # type: ignore[call-overload]
                   .group_by(Rating.service_id), community_id)
    rows = [Share(key or "", int(n), int(g or 0), int(b or 0)) for key, n, g, b in (await session.execute(stmt)).all()]
    return sorted(rows, key=lambda s: (-s.total, s.key))


async def shares_by_category(session: AsyncSession, community_id: int | None, since: dt.datetime) -> list[Share]:
    """好评率 per work-order category (维修, 投诉 …) of ratings given to work orders, most rated first."""
    stmt = _scoped(select(WorkOrder.category, *_share_columns())  # type: ignore[call-overload]
                   .join(WorkOrder, WorkOrder.id == Rating.subject_id)
                   .where(Rating.subject_type == "work_order", Rating.created_at >= since)
                   .group_by(WorkOrder.category), community_id)
    rows = [Share(key, int(n), int(g or 0), int(b or 0)) for key, n, g, b in (await session.execute(stmt)).all()]
    return sorted(rows, key=lambda s: (-s.total, s.key))


async def poor_ratings(session: AsyncSession, community_id: int | None, status: str = "",
                       limit: int = 200) -> list[Rating]:
    """Poor ratings (score ≤ 2), open follow-ups first, newest first within each status."""
    stmt = _scoped(select(Rating).where(Rating.score <= FOLLOW_UP_AT_OR_BELOW), community_id)
    if status:
        stmt = stmt.where(Rating.follow_up_status == status)
    order = case({s: i for i, s in enumerate(FOLLOW_UP_STATUSES)}, value=Rating.follow_up_status, else_=9)
    stmt = stmt.order_by(order, Rating.created_at.desc(), Rating.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def follow_up_notes(session: AsyncSession, rating_ids: Sequence[int]) -> dict[int, list[AuditLog]]:
    """The follow-up steps recorded for each rating, oldest first."""
    if not rating_ids:
        return {}
    stmt = (select(AuditLog).where(AuditLog.object_type == "rating", AuditLog.action == "follow_up",
                                   AuditLog.object_id.in_([str(i) for i in rating_ids])).order_by(AuditLog.id))
    out: dict[int, list[AuditLog]] = {}
    for row in (await session.execute(stmt)).scalars():
        out.setdefault(int(row.object_id), []).append(row)
    return out


@dataclass(frozen=True)
class FollowUpContext:
    """Who gave a poor rating and about what, for the worker who calls them back."""

    resident_name: str | None
    phone: str | None  # the number given for the rated order or booking, else the resident's own
    subject_number: str | None  # the rated work order's or booking's number
    conversation_id: int | None
    escalation_id: int | None  # the latest hand-over of that conversation, to read it in the console


async def follow_up_context(session: AsyncSession, ratings: Sequence[Rating]) -> dict[int, FollowUpContext]:
    """For each rating: the resident, how to call them, the rated subject and the conversation."""
    out: dict[int, FollowUpContext] = {}
    for rating in ratings:
        resident = await session.get(Resident, rating.resident_id)
        number = phone = None
        conv_id: int | None = rating.subject_id if rating.subject_type == "conversation" else None
        if rating.subject_type == "work_order":
            order = await session.get(WorkOrder, rating.subject_id)
            if order is not None:
                number, conv_id, phone = order.number, order.conversation_id, order.contact_phone
        elif rating.subject_type == "booking":
            booking = await session.get(Booking, rating.subject_id)
            if booking is not None:
                number, conv_id, phone = booking.number, booking.conversation_id, booking.phone
        if conv_id is None:
            conv = await _conversation(session, rating)
            conv_id = conv.id if conv is not None else None
        esc_id = None
        if conv_id is not None:
            esc_id = (await session.execute(select(Escalation.id).where(Escalation.conversation_id == conv_id)
                                            .order_by(Escalation.id.desc()).limit(1))).scalar()
        out[rating.id] = FollowUpContext(resident.display_name if resident else None,
                                         phone or (resident.phone if resident else None), number, conv_id, esc_id)
    return out


async def visible_rating(session: AsyncSession, staff: StaffUser, rating_id: int) -> Rating:
    """A rating by id, or NotFound when missing or of another community."""
    rating = await session.get(Rating, rating_id)
    if rating is None or (staff.role != "admin" and rating.community_id != staff.community_id):
        raise NotFound("rating not found")
    return rating


async def _conversation(session: AsyncSession, rating: Rating) -> Conversation | None:
    """Where the resident who gave the rating is reached: the rated subject's conversation, else their latest."""
    conv_id: int | None = None
    if rating.subject_type == "conversation":
        conv_id = rating.subject_id
    elif rating.subject_type in ("work_order", "booking"):
        model = WorkOrder if rating.subject_type == "work_order" else Booking
        conv_id = (await session.execute(select(model.conversation_id).where(model.id == rating.subject_id))).scalar()
    if conv_id is not None:
        return await session.get(Conversation, conv_id)
    stmt = (select(Conversation).where(Conversation.resident_id == rating.resident_id)
            .order_by(Conversation.id.desc()).limit(1))
    return (await session.execute(stmt)).unique().scalar_one_or_none()


def rectified_notice(rating: Rating, note: str) -> str:
    """What the resident is told once their poor rating has been acted on."""
    done = joined("note_joiner", note.rstrip("。.！!")) + "。"
    return say("rating_put_right", label=rating.label, done=done)


async def advance_follow_up(session: AsyncSession, rating: Rating, staff: StaffUser, note: str) -> str:
    """Move a poor rating's follow-up one step on; InvalidInput when it is already 已整改 or not poor."""
    new = NEXT_STEP.get(rating.follow_up_status or "")
    if new is None:
        raise InvalidInput(f"follow-up is {rating.follow_up_status}")
    before = rating.follow_up_status
    rating.follow_up_status = new
    audit(session, staff, "follow_up", "rating", rating.id, before=before, status=new, note=note)
    if new == FollowUpStatus.PUT_RIGHT:
        conv = await _conversation(session, rating)
        if conv is not None:
            await notify(session, conv, rectified_notice(rating, note), kind="status")
    await session.flush()
    return new
