"""Messages that time brings: booking reminders the day before, rating requests once a booking is over.

They go to every channel: `notify` keeps them in the conversation (web and voice clients fetch them)
and queues them in the outbox for push channels. The flags on the booking make each message happen
once, whichever process gets there first, and survive restarts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from actions.rating import rating_buttons
from actions.runtime import ActionServices
from bot.backend import bookings, outbox
from bot.backend.bookings import ACTIVE, RATEABLE
from bot.backend.models import Booking, Conversation, Slot
from bot.backend.wording import say

log = logging.getLogger(__name__)


async def queue_booking_messages(services: ActionServices, now: dt.datetime) -> int:
    """Queue tomorrow's reminders and finished bookings' rating requests; returns messages queued."""
    queued = 0
    async with services.sessionmaker() as session, session.begin():
        stmt = (
            select(Booking)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(
                Booking.conversation_id.is_not(None),
                (
                    ((Booking.status == ACTIVE) & Booking.reminder_sent.is_(False) & (Slot.start_at > now)
                     & (Slot.start_at < now + dt.timedelta(days=2)))
                    # Served or not marked: asked to rate; marked 未到场 (or cancelled): never.
                    | (Booking.status.in_(RATEABLE) & Booking.rating_requested.is_(False) & (Slot.end_at <= now))
                ),
            )
        )
        for booking in (await session.execute(stmt)).unique().scalars():
            conv = await session.get(Conversation, booking.conversation_id)
            if conv is None:
                continue
            tz = ZoneInfo(services.community(conv.community.code).timezone)
            svc = services.catalog.get(booking.service_id)
            service = svc.name if svc is not None else "服务"
            start = booking.slot.start_at.astimezone(tz)
            if booking.slot.end_at <= now:
                if await _claim(session, booking.id, Booking.rating_requested):
                    text = say("booking_rating_request", service=service, number=booking.number)
                    await outbox.notify(session, conv, text, kind="rating_request",
                                        buttons=rating_buttons(booking.number))
                    queued += 1
            elif reminder_due(booking, start, now):
                if await _claim(session, booking.id, Booking.reminder_sent):
                    # Due the evening before; sent on the day itself only when no process ran since.
                    values = {"service": service, "time": start.strftime("%H:%M"), "number": booking.number}
                    if start.date() == now.astimezone(tz).date():
                        text = say("booking_reminder_today", **values)
                    else:
                        text = say("booking_reminder", **values)
                    await outbox.notify(session, conv, text, kind="reminder")
                    queued += 1
    return queued


def reminder_due(booking: Booking, start: dt.datetime, now: dt.datetime) -> bool:
    """Whether the day-before reminder of a booking starting at `start` (local time) is due now (when, and
    which bookings get one: `bookings.reminder_moment`, `bookings.gets_reminder`)."""
    due = bookings.reminder_moment(start)
    return due <= now < start and bookings.gets_reminder(booking.created_at, start)


async def _claim(session: AsyncSession, booking_id: int, flag: InstrumentedAttribute[bool]) -> bool:
    """Set a booking's flag only if still unset, so two processes never queue the same message."""
    stmt = (update(Booking).where(Booking.id == booking_id, flag.is_(False)).values({flag: True})
            .execution_options(synchronize_session=False))
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def run_periodically(services: ActionServices, stop: asyncio.Event, interval: float = 60.0) -> None:
    """The app's background loop for time-driven messages; one failed round is logged, never fatal."""
    while not stop.is_set():
        try:
            await queue_booking_messages(services, services.clock())
        except Exception:
            log.exception("booking reminders round failed")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass
