"""Bookable slots and bookings.

Slots are cut lazily from a service's schedule (the catalog's booking part and the community's opening
hours) the first time a day is looked at, so a freshly migrated database takes bookings at once; rows
that staff closed or added are kept as they are.

A slot's capacity counts places; what a booking takes of it (`places`) is decided by the caller from the
catalog: its people for a per-person service, one for a room booked whole. The booking keeps it, so
cancelling or moving gives back exactly what was taken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, Slot, utcnow
from bot.backend.numbering import by_number, next_number
from bot.backend.numbering import find_for_resident as find_numbered
from bot.backend.opening_hours import parse_hours
from bot.backend.statuses import USED_BOOKING_STATUSES, BookingStatus
from bot.ticket_numbers import BOOKING_PREFIX

ACTIVE = BookingStatus.BOOKED
# What staff record once a booking's time has come. A no-show is never asked for a rating: there was no
# service to rate. A served booking is, like one nobody marked.
ATTENDANCE = (BookingStatus.SERVED, BookingStatus.NO_SHOW)
RATEABLE = USED_BOOKING_STATUSES
# The day-before reminder is due at this local time. A booking made after that moment gets none: its
# resident has just chosen the time, and a 明天 reminder seconds later is noise.
REMINDER_AT = dt.time(18, 0)


def reminder_moment(start: dt.datetime) -> dt.datetime:
    """When the reminder of a booking starting at `start` (local, aware) is due: the evening before."""
    return dt.datetime.combine(start.date() - dt.timedelta(days=1), REMINDER_AT, start.tzinfo)


def gets_reminder(booked_at: dt.datetime, start: dt.datetime) -> bool:
    """Whether a booking made at `booked_at` for `start` (local, aware) is reminded the day before."""
    return booked_at < reminder_moment(start)


@dataclass(frozen=True)
class SlotSchedule:
    """How one service's slots are cut: opening hours, slot length, capacity, open weekdays."""

    hours: str
    slot_minutes: int = 60
    capacity: int = 4
    weekdays: list[int] = field(default_factory=lambda: list(range(7)))
    timezone: str = "Asia/Shanghai"


def cut_slots(schedule: SlotSchedule, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The schedule's slots on `day`, in UTC."""
    if day.weekday() not in schedule.weekdays:
        return []
    tz = ZoneInfo(schedule.timezone)
    step = dt.timedelta(minutes=schedule.slot_minutes)
    out = []
    # Blank hours cut nothing: a day whose slots were already cut (`actions.hours.slot_schedule`).
    for interval in parse_hours(schedule.hours) if schedule.hours.strip() else []:
        t, stop = interval.on(day, tz)
        while t + step <= stop:
            out.append((t.astimezone(dt.UTC), (t + step).astimezone(dt.UTC)))
            t += step
    return out


async def ensure_slots(
    session: AsyncSession, community_id: int, service_id: str, day: dt.date, schedule: SlotSchedule
) -> None:
    """Insert the day's scheduled slots that do not exist yet."""
    rows = [
        {"community_id": community_id, "service_id": service_id, "day": day, "start_at": s, "end_at": e,
         "capacity": schedule.capacity, "booked": 0, "closed": False}
        for s, e in cut_slots(schedule, day)
    ]
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(Slot).values(rows).on_conflict_do_nothing())


async def free_slots(
    session: AsyncSession,
    community_id: int,
    service_id: str,
    day: dt.date,
    schedule: SlotSchedule,
    *,
    places: int = 1,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Open slots of the day with `places` left, starting after now."""
    await ensure_slots(session, community_id, service_id, day, schedule)
    stmt = (
        select(Slot)
        .where(
            Slot.community_id == community_id,
            Slot.service_id == service_id,
            Slot.day == day,
            Slot.closed.is_(False),
            Slot.start_at > (now or utcnow()),
            Slot.booked + places <= Slot.capacity,
        )
        .order_by(Slot.start_at)
    )
    return list((await session.execute(stmt)).scalars())


async def day_slots(session: AsyncSession, community_id: int, service_id: str, day: dt.date) -> list[Slot]:
    """Every slot of the day, free, full, closed or past (to tell "full" from "not open then")."""
    stmt = (
        select(Slot)
        .where(Slot.community_id == community_id, Slot.service_id == service_id, Slot.day == day)
        .order_by(Slot.start_at)
    )
    return list((await session.execute(stmt)).scalars())


def places_of(booking: Booking) -> int:
    """The places a booking holds in its slot (rows from before `places` was kept hold their people)."""
    return booking.places if booking.places is not None else booking.people


async def _take(session: AsyncSession, slot_id: int, places: int) -> bool:
    """Reserve capacity atomically: the WHERE clause makes overbooking impossible under concurrency."""
    result = await session.execute(
        update(Slot)
        .where(and_(Slot.id == slot_id, Slot.closed.is_(False), Slot.booked + places <= Slot.capacity))
        .values(booked=Slot.booked + places)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # UPDATE results carry a row count


async def _release(session: AsyncSession, slot_id: int, places: int) -> None:
    await session.execute(update(Slot).where(Slot.id == slot_id).values(booked=Slot.booked - places))


async def book(
    session: AsyncSession,
    *,
    community_id: int,
    resident_id: int,
    conversation_id: int | None,
    service_id: str,
    slot_id: int,
    people: int,
    name: str,
    phone: str,
    local_day: dt.date,
    places: int | None = None,
    address: str | None = None,
    booked_at: dt.datetime | None = None,
) -> Booking | None:
    """Book a slot, taking `places` of it (default: one per person); None when it filled up meanwhile.

    `booked_at` is the turn's moment (the runtime's clock): whether a reminder is still due depends on it.
    """
    taken = people if places is None else places
    if not await _take(session, slot_id, taken):
        return None
    booking = Booking(
        number=await next_number(session, BOOKING_PREFIX, local_day),
        community_id=community_id,
        resident_id=resident_id,
        conversation_id=conversation_id,
        service_id=service_id,
        slot_id=slot_id,
        people=people,
        name=name,
        phone=phone,
        address=address,
        places=taken,
        status=ACTIVE,
        created_at=booked_at or utcnow(),
    )
    session.add(booking)
    await session.flush()
    await session.refresh(booking, attribute_names=["slot"])
    return booking


async def cancel(session: AsyncSession, booking: Booking) -> None:
    """Cancel a booking and give its places back."""
    if booking.status != ACTIVE:
        return
    booking.status = BookingStatus.CANCELLED
    await _release(session, booking.slot_id, places_of(booking))
    await session.flush()


def mark_attendance(booking: Booking, status: BookingStatus, now: dt.datetime) -> bool:
    """Record whether the resident came (已到场 / 未到场); False when it cannot be said (yet).

    Only once the slot has begun, and never for a cancelled booking; a mark can be corrected (a resident
    marked 未到场 who turns up late). The places stay taken: the time has passed either way.
    """
    if status not in ATTENDANCE or booking.status not in (ACTIVE, *ATTENDANCE) or booking.slot.start_at > now:
        return False
    booking.status = status
    return True


async def reschedule(session: AsyncSession, booking: Booking, new_slot_id: int) -> bool:
    """Move a booking to another slot; False (and nothing changed) when that slot is full."""
    if not await _take(session, new_slot_id, places_of(booking)):
        return False
    await _release(session, booking.slot_id, places_of(booking))
    booking.slot_id = new_slot_id
    await session.flush()
    await session.refresh(booking, attribute_names=["slot"])
    return True


async def get_by_number(session: AsyncSession, number: str) -> Booking | None:
    """A booking by its number."""
    return await by_number(session, Booking, number)


async def latest_active(session: AsyncSession, resident_id: int, now: dt.datetime | None = None) -> Booking | None:
    """The resident's next upcoming active booking."""
    stmt = (
        select(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.resident_id == resident_id, Booking.status == ACTIVE, Slot.start_at > (now or utcnow()))
        .order_by(Slot.start_at)
        .limit(1)
    )
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def find_for_resident(session: AsyncSession, resident_id: int, number: str) -> Booking | None:
    """The resident's booking by its number or the part of it they read out (see `numbering.find_for_resident`)."""
    return await find_numbered(session, Booking, resident_id, number)


async def latest_for_resident(session: AsyncSession, resident_id: int) -> Booking | None:
    """The resident's most recent booking, whatever its status."""
    stmt = select(Booking).where(Booking.resident_id == resident_id).order_by(Booking.id.desc()).limit(1)
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def latest_contact(session: AsyncSession, conversation_id: int) -> tuple[str, str] | None:
    """The name and phone of the latest booking made in a conversation, to offer for the next one."""
    stmt = (
        select(Booking.name, Booking.phone)
        .where(Booking.conversation_id == conversation_id)
        .order_by(Booking.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row is not None else None


async def services_booked(session: AsyncSession, resident_id: int, limit: int = 3) -> list[str]:
    """The services a resident booked most recently, newest first (to offer them first next time)."""
    stmt = select(Booking.service_id).where(Booking.resident_id == resident_id).order_by(Booking.id.desc()).limit(20)
    out: list[str] = []
    for service_id in (await session.execute(stmt)).scalars():
        if service_id not in out:
            out.append(service_id)
    return out[:limit]
