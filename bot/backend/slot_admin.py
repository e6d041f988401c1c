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
from bot.errors import InvalidInput, NotFound
from knowledge.loader import Catalog
from knowledge.schema import CommunitySettings, Service


class SlotTaken(InvalidInput):
    """A slot already starts at that time."""


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


def bookable(catalog: Catalog, service_id: str) -> Service:
    """A bookable service of the catalog, or NotFound."""
    svc = catalog.get(service_id)
    if svc is None or svc.booking is None:
        raise NotFound("no such bookable service")
    return svc


async def day_slots(session: AsyncSession, community: Community, service: Service, settings: CommunitySettings,
                    day: dt.date) -> list[Slot]:
    """A service's slots on a day, cut from its schedule first if the day was never looked at."""
    from bot.backend.community_hours import slot_schedule

    schedule = await slot_schedule(session, community.id, service, settings, day)
    await bookings.ensure_slots(session, community.id, service.id, day, schedule)
    stmt = (select(Slot).where(Slot.community_id == community.id, Slot.service_id == service.id, Slot.day == day)
            .order_by(Slot.start_at))
    return list((await session.execute(stmt)).scalars())


async def visible_slot(session: AsyncSession, staff: StaffUser, slot_id: int) -> Slot:
    """A slot by id, or NotFound when missing or of another community."""
    slot = await session.get(Slot, slot_id)
    if slot is None or (staff.role != "admin" and slot.community_id != staff.community_id):
        raise NotFound("slot not found")
    return slot


def set_closed(session: AsyncSession, slot: Slot, staff: StaffUser, closed: bool) -> None:
    """Stop (or resume) taking bookings in a slot; existing bookings stay until cancelled one by one."""
    slot.closed = closed
    audit(session, staff, "close_slot" if closed else "open_slot", "slot", slot.id)


def set_capacity(session: AsyncSession, slot: Slot, staff: StaffUser, capacity: int) -> None:
    """Change how many people a slot takes; never below those already booked."""
    if capacity < max(1, slot.booked):
        raise InvalidInput(f"capacity {capacity} is below the {slot.booked} already booked")
    before = slot.capacity
    slot.capacity = capacity
    audit(session, staff, "slot_capacity", "slot", slot.id, before=before, capacity=capacity)


async def add_slot(session: AsyncSession, staff: StaffUser, community: Community, service: Service,
                   start: dt.datetime, minutes: int, capacity: int, tz: str) -> Slot:
    """Add an extra slot (an evening session, a holiday opening); `start` naive means local time."""
    if not 15 <= minutes <= 480 or not 1 <= capacity <= 500:
        raise InvalidInput("minutes must be 15–480 and capacity 1–500")
    start = start if start.tzinfo else start.replace(tzinfo=ZoneInfo(tz))
    exists = (await session.execute(select(Slot.id).where(
        Slot.community_id == community.id, Slot.service_id == service.id, Slot.start_at == start))).first()
    if exists is not None:
        raise SlotTaken("a slot already starts at that time")
    slot = Slot(community_id=community.id, service_id=service.id, day=start.astimezone(ZoneInfo(tz)).date(),
                start_at=start, end_at=start + dt.timedelta(minutes=minutes), capacity=capacity, booked=0,
                closed=False)
    session.add(slot)
    await session.flush()
    audit(session, staff, "add_slot", "slot", slot.id)
    return slot


async def day_bookings(session: AsyncSession, community_id: int, day: dt.date,
                       service_id: str | None = None) -> list[Booking]:
    """The day's bookings of a community (optionally of one service), earliest slot first."""
    stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.community_id == community_id, Slot.day == day).order_by(Slot.start_at, Booking.id))
    if service_id:
        stmt = stmt.where(Booking.service_id == service_id)
    return list((await session.execute(stmt)).unique().scalars())


async def visible_booking(session: AsyncSession, staff: StaffUser, number: str) -> Booking:
    """A booking by number, or NotFound when missing or of another community."""
    booking = await bookings.get_by_number(session, number)
    if booking is None or (staff.role != "admin" and booking.community_id != staff.community_id):
        raise NotFound("booking not found")
    return booking


def cancel_notice(number: str, service_name: str, reason: str) -> str:
    """What the resident is told when the community cancels their booking."""
    why = f"，原因：{reason}" if reason else ""
    return f"很抱歉，您的预约{number}（{service_name}）已被社区取消{why}。需要的话可以重新预约，或回复“转人工”。"


async def cancel_by_staff(session: AsyncSession, catalog: Catalog, booking: Booking, staff: StaffUser,
                          reason: str) -> None:
    """Cancel an active booking, give its places back and tell the resident why (InvalidInput if not active)."""
    if booking.status != bookings.ACTIVE:
        raise InvalidInput(f"booking is {booking.status}")
    await bookings.cancel(session, booking)
    audit(session, staff, "cancel_booking", "booking", booking.number, reason=reason)
    conv = await session.get(Conversation, booking.conversation_id) if booking.conversation_id else None
    if conv is not None:
        svc = catalog.get(booking.service_id)
        await notify(session, conv, cancel_notice(booking.number, svc.name if svc else "", reason), kind="status")
