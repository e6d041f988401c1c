"""What staff need to know about the resident behind a conversation, in one read.

The inbox's side panel shows it beside the transcript: who the resident is, how to call them, which
community, and their open work orders, bookings and past ratings, so a worker answering a hand-over
does not have to look the resident up on three other pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, Rating, Resident, Slot, WorkOrder
from bot.backend.statuses import BookingStatus, WorkOrderStatus

# Enough for a worker to see the pattern; the full lists are one click away on their own pages.
RECENT = 5
OPEN_ORDER_STATUSES = (WorkOrderStatus.PENDING, WorkOrderStatus.ACCEPTED, WorkOrderStatus.IN_PROGRESS)


@dataclass
class ResidentProfile:
    """A resident as the side panel shows them."""

    resident: Resident
    phone: str | None  # the resident's own, else the latest one they gave in an order or a booking
    open_orders: list[WorkOrder] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)  # upcoming first, then the latest past ones
    ratings: list[Rating] = field(default_factory=list)  # latest first


async def resident_profile(session: AsyncSession, resident_id: int, *, now: dt.datetime) -> ResidentProfile | None:
    """The resident's profile, or None when no such resident exists."""
    resident = await session.get(Resident, resident_id)
    if resident is None:
        return None
    orders = list((await session.execute(
        select(WorkOrder).where(WorkOrder.resident_id == resident_id, WorkOrder.status.in_(OPEN_ORDER_STATUSES))
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(RECENT))).scalars())
    upcoming = list((await session.execute(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.resident_id == resident_id, Booking.status == BookingStatus.BOOKED, Slot.end_at >= now)
        .order_by(Slot.start_at).limit(RECENT))).unique().scalars())
    past = list((await session.execute(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.resident_id == resident_id, Booking.id.not_in([b.id for b in upcoming] or [0]))
        .order_by(Slot.start_at.desc()).limit(max(0, RECENT - len(upcoming))))).unique().scalars())
    ratings = list((await session.execute(
        select(Rating).where(Rating.resident_id == resident_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc()).limit(RECENT))).scalars())
    return ResidentProfile(resident, resident.phone or await _latest_phone(session, resident_id),
                           orders, upcoming + past, ratings)


async def _latest_phone(session: AsyncSession, resident_id: int) -> str | None:
    """The number the resident last gave for a work order or a booking."""
    order = (await session.execute(
        select(WorkOrder.contact_phone, WorkOrder.created_at)
        .where(WorkOrder.resident_id == resident_id, WorkOrder.contact_phone.is_not(None))
        .order_by(WorkOrder.created_at.desc()).limit(1))).first()
    booking = (await session.execute(
        select(Booking.phone, Booking.created_at).where(Booking.resident_id == resident_id, Booking.phone != "")
        .order_by(Booking.created_at.desc()).limit(1))).first()
    found = [row for row in (order, booking) if row is not None and row[0]]
    return max(found, key=lambda row: row[1])[0] if found else None
