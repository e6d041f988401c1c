"""What staff do to slot calendars and bookings, shared by the JSON staff API and the console.

Every change is audit-logged here and a cancelled booking's resident is told here, so neither front
end can forget one of the two. Scoping: staff see their own community only; administrators any.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import bookings
from bot.backend.models import Booking, Community, Conversation, Slot, StaffUser
from bot.backend.outbox import notify
from bot.backend.residents import get_community
from bot.backend.staff_actions import audit
from bot.backend.statuses import BookingStatus
from bot.backend.wording import joined, say
from bot.errors import InvalidInput, NotFound


class SlotTaken(InvalidInput):
    """A slot already starts at that time."""


class SlotInPast(InvalidInput):
    """A slot would start at or before now: nobody could book it."""


class SlotHoldsBookings(InvalidInput):
    """A change would turn away residents already booked in the slot; staff must say they mean it."""

    def __init__(self, booked: int) -> None:
        super().__init__(f"the slot holds {booked} booked places")
        self.booked = booked


async def staff_community(session: AsyncSession, staff: StaffUser, code: str | None) -> Community:
    """The staff member's own community; administrators name one (InvalidInput when they do not)."""
    if staff.role != "admin":
        if staff.community is None or (code and code != staff.community.code):
            raise NotFound("community not found")
        return staff.community
    community = await get_community(session, code or "")
    if community is None:
        raise InvalidInput("administrators must name a community")
    return community


async def visible_slot(session: AsyncSession, staff: StaffUser, slot_id: int) -> Slot:
    """A slot by id, or NotFound when missing or of another community."""
    slot = await session.get(Slot, slot_id)
    if slot is None or (staff.role != "admin" and slot.community_id != staff.community_id):
        raise NotFound("slot not found")
    return slot


def set_closed(session: AsyncSession, slot: Slot, staff: StaffUser, closed: bool, *, confirmed: bool = False) -> None:
    """Stop (or resume) taking bookings in a slot; existing bookings stay until cancelled one by one.

    Closing a slot that holds bookings raises SlotHoldsBookings unless `confirmed`: staff who close it
    are told first that those residents are still expected, so nobody is turned away by surprise.
    """
    if closed and slot.booked and not confirmed:
        raise SlotHoldsBookings(slot.booked)
    slot.closed = closed
    audit(session, staff, "close_slot" if closed else "open_slot", "slot", slot.id,
          **({"booked": slot.booked} if closed and slot.booked else {}))


def set_capacity(session: AsyncSession, slot: Slot, staff: StaffUser, capacity: int) -> None:
    """Change how many people a slot takes; never below those already booked."""
    if capacity < max(1, slot.booked):
        raise InvalidInput(f"capacity {capacity} is below the {slot.booked} already booked")
    before = slot.capacity
    slot.capacity = capacity
    audit(session, staff, "slot_capacity", "slot", slot.id, before=before, capacity=capacity)


async def add_slot(session: AsyncSession, staff: StaffUser, community: Community, service_id: str,
                   start: dt.datetime, minutes: int, capacity: int, tz: str, *,
                   regular: bookings.SlotSchedule, now: dt.datetime) -> Slot:
    """Add an extra slot (an evening session, a holiday opening); `start` naive means local time.

    The day's regular slots are cut from `regular` first (`actions.hours.slot_schedule`): slots are cut
    lazily only on a day that has none, so an extra slot added to a day nobody had opened would otherwise
    stand in for them and the day would offer nothing else. SlotInPast when it would start by `now`.
    """
    if not 15 <= minutes <= 480 or not 1 <= capacity <= 500:
        raise InvalidInput("minutes must be 15–480 and capacity 1–500")
    start = start if start.tzinfo else start.replace(tzinfo=ZoneInfo(tz))
    if start <= now:
        raise SlotInPast("a slot must start in the future")
    await bookings.ensure_slots(session, community.id, service_id, start.astimezone(ZoneInfo(tz)).date(), regular)
    exists = (await session.execute(select(Slot.id).where(
        Slot.community_id == community.id, Slot.service_id == service_id, Slot.start_at == start))).first()
    if exists is not None:
        raise SlotTaken("a slot already starts at that time")
    slot = Slot(community_id=community.id, service_id=service_id, day=start.astimezone(ZoneInfo(tz)).date(),
                start_at=start, end_at=start + dt.timedelta(minutes=minutes), capacity=capacity, booked=0,
                closed=False)
    session.add(slot)
    await session.flush()
    audit(session, staff, "add_slot", "slot", slot.id)
    return slot


async def day_bookings(session: AsyncSession, community_id: int, day: dt.date,
                       service_id: str | None = None, status: str | None = None) -> list[Booking]:
    """The day's bookings of a community (optionally of one service, in one status), earliest slot first."""
    stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.community_id == community_id, Slot.day == day).order_by(Slot.start_at, Booking.id))
    if service_id:
        stmt = stmt.where(Booking.service_id == service_id)
    if status:
        stmt = stmt.where(Booking.status == status)
    return list((await session.execute(stmt)).unique().scalars())


async def day_slots_of_all(session: AsyncSession, community_id: int, day: dt.date) -> list[Slot]:
    """Every slot already cut on a day, of every service (the all-services view cuts none itself)."""
    stmt = (select(Slot).where(Slot.community_id == community_id, Slot.day == day)
            .order_by(Slot.service_id, Slot.start_at))
    return list((await session.execute(stmt)).scalars())


def mark_attendance(session: AsyncSession, booking: Booking, staff: StaffUser, status: str,
                    now: dt.datetime) -> None:
    """Record whether the resident came (已到场 / 未到场), audited; InvalidInput before the slot begins,
    for a cancelled booking or an unknown status."""
    before = booking.status
    try:
        wanted = BookingStatus(status)
    except ValueError:
        raise InvalidInput(f"no such attendance status {status!r}") from None
    if not bookings.mark_attendance(booking, wanted, now):
        raise InvalidInput(f"booking is {booking.status} and starts {booking.slot.start_at.isoformat()}")
    audit(session, staff, "booking_attendance", "booking", booking.number, before=before, status=booking.status)


async def visible_booking(session: AsyncSession, staff: StaffUser, number: str) -> Booking:
    """A booking by number, or NotFound when missing or of another community."""
    booking = await bookings.get_by_number(session, number)
    if booking is None or (staff.role != "admin" and booking.community_id != staff.community_id):
        raise NotFound("booking not found")
    return booking


def cancel_notice(number: str, service_name: str, reason: str) -> str:
    """What the resident is told when the community cancels their booking."""
    return say("booking_cancelled_by_community", number=number, service=service_name,
               reason=joined("reason_joiner", reason))


async def cancel_by_staff(session: AsyncSession, booking: Booking, staff: StaffUser, reason: str,
                          service_name: str) -> None:
    """Cancel an active booking, give its places back and tell the resident why (InvalidInput if not active)."""
    if booking.status != bookings.ACTIVE:
        raise InvalidInput(f"booking is {booking.status}")
    await bookings.cancel(session, booking)
    audit(session, staff, "cancel_booking", "booking", booking.number, reason=reason)
    conv = await session.get(Conversation, booking.conversation_id) if booking.conversation_id else None
    if conv is not None:
        await notify(session, conv, cancel_notice(booking.number, service_name, reason), kind="status")
