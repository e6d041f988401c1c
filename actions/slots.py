"""Slot schedules and free-slot look-ups shared by booking and rescheduling.

A part of the day (早上, 下午) is one window of local time wherever it is used: to pick the slots offered
and to say that none are left. 早上 runs to 10 o'clock, so a resident who asks for 明天早上 is offered the
09:00 slot rather than told that the morning is full while it is on the screen.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actions.common import Context, format_clock
from actions.hours import slot_schedule
from actions.runtime import ActionServices
from bot.backend.bookings import day_slots, free_slots
from bot.backend.models import Slot
from knowledge.schema import Service

MAX_DAYS_AHEAD = 30
# The parts of the day the NLU reports (bot/nlu/entities/times.py), as [start, end) of local time.
PERIODS: dict[str, tuple[dt.time, dt.time]] = {
    "凌晨": (dt.time(0), dt.time(6)),
    "早上": (dt.time(5), dt.time(10)),
    "上午": (dt.time(5), dt.time(12)),
    "中午": (dt.time(11), dt.time(14)),
    "下午": (dt.time(12), dt.time(18)),
    "傍晚": (dt.time(16, 30), dt.time(19)),
    "晚上": (dt.time(17), dt.time.max),
}
# A time range as the NLU reports it: 14:00-17:00.
_RANGE = re.compile(r"^(\d{1,2}:\d{2})\s*[-~到至]\s*(\d{1,2}:\d{2})$")
MAX_SLOT_BUTTONS = 8
# Days offered as buttons, found within this many days (a service open one day a week still shows two).
DAY_BUTTONS = 4
_DAY_LOOKAHEAD = 14

Window = tuple[dt.time, dt.time]


def parse_day(value: Any) -> dt.date | None:
    """An ISO date slot value as a date."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def date_problem(day: dt.date, today: dt.date, service: Service | None) -> str | None:
    """Why a day cannot be booked, as the name of the response that says so, or None."""
    if day < today:
        return "utter_booking_day_past"
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return "utter_booking_day_too_far"
    if service is not None and service.booking is not None and day.weekday() not in service.booking.weekdays:
        return "utter_booking_day_closed"
    return None


def places_for(service: Service, people: int) -> int:
    """How much of a slot a booking of `people` takes (see knowledge.schema.Booking.unit)."""
    return service.booking.places(people) if service.booking is not None else people


async def open_slots(
    session: AsyncSession, services: ActionServices, ctx: Context, service: Service, day: dt.date, people: int = 1
) -> list[Slot]:
    """Free slots of the day with room for a booking of `people`, cut from the hours staff set if the day is new."""
    schedule = await slot_schedule(session, ctx.community_id, service, ctx.community, day)
    return await free_slots(session, ctx.community_id, service.id, day, schedule,
                            places=places_for(service, people), now=services.clock())


async def all_slots(session: AsyncSession, ctx: Context, service: Service, day: dt.date) -> list[Slot]:
    """Every slot of the day (after `open_slots` cut them): tells a full morning from a closed one."""
    return await day_slots(session, ctx.community_id, service.id, day)


def window_of(value: Any) -> Window | None:
    """The window a time value stands for: a part of the day (下午) or a range (14:00-17:00); None for
    an exact time or anything else."""
    text = str(value or "").strip()
    if text in PERIODS:
        return PERIODS[text]
    m = _RANGE.match(text)
    if m:
        try:
            return dt.time.fromisoformat(m.group(1).zfill(5)), dt.time.fromisoformat(m.group(2).zfill(5))
        except ValueError:
            return None
    return None


def in_window(slot: Slot, window: Window, tz: str) -> bool:
    """True when the slot starts within the window."""
    local = slot.start_at.astimezone(ZoneInfo(tz)).time()
    return window[0] <= local < window[1] or (window[1] == dt.time.max and local >= window[0])


def exact_time(value: Any) -> dt.time | None:
    """An HH:MM slot value as a time, or None."""
    try:
        return dt.time.fromisoformat(str(value).strip().zfill(5))
    except ValueError:
        return None


def match_time(slots: list[Slot], value: str, tz: str) -> Slot | None:
    """The slot starting at (or containing) an HH:MM time."""
    wanted = exact_time(value)
    if wanted is None:
        return None
    for s in slots:
        start = s.start_at.astimezone(ZoneInfo(tz)).time()
        end = s.end_at.astimezone(ZoneInfo(tz)).time()
        if start <= wanted < end:
            return s
    return None


def slot_left(slot: Slot) -> int:
    """Places (or rooms) still free in a slot."""
    return max(0, slot.capacity - slot.booked)


async def open_days(
    session: AsyncSession, services: ActionServices, ctx: Context, service: Service | None, today: dt.date,
    people: int = 1, count: int = DAY_BUTTONS,
) -> list[dt.date]:
    """The next days (from tomorrow) on which the service is open and has room; plain next days when the
    service is not known yet."""
    days = [today + dt.timedelta(days=i) for i in range(1, _DAY_LOOKAHEAD + 1)]
    if service is None or service.booking is None:
        return days[:count]
    out: list[dt.date] = []
    for day in days:
        if day.weekday() not in service.booking.weekdays:
            continue
        if await open_slots(session, services, ctx, service, day, people):
            out.append(day)
            if len(out) == count:
                break
    return out


def day_buttons(today: dt.date, count: int = DAY_BUTTONS, days: list[dt.date] | None = None) -> list[dict[str, str]]:
    """Buttons for days: the ones given, or the next few."""
    from actions.common import format_day

    days = days if days is not None else [today + dt.timedelta(days=i) for i in range(1, count + 1)]
    return [{"title": format_day(d, today), "payload": f'/inform{{"date":"{d.isoformat()}"}}'} for d in days]


def slot_buttons(slots: list[Slot], tz: str, label: Any = None) -> list[dict[str, str]]:
    """Buttons for free slots; `label(slot, hhmm)` gives the title (places left, or a free room)."""
    out = []
    for s in slots[:MAX_SLOT_BUTTONS]:
        hhmm = format_clock(s.start_at, tz)
        title = label(s, hhmm) if label is not None else f"{hhmm}"
        out.append({"title": title, "payload": f'/inform{{"time":"{hhmm}"}}'})
    return out
