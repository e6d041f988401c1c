"""Slot schedules and free-slot look-ups shared by booking and rescheduling."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actions.common import Context, format_clock
from actions.runtime import ActionServices
from bot.backend.bookings import SlotSchedule, free_slots
from bot.backend.models import Slot
from knowledge.schema import CommunitySettings, Service

MAX_DAYS_AHEAD = 30
PERIODS = {
    "早上": (dt.time(6), dt.time(9)),
    "上午": (dt.time(6), dt.time(12)),
    "中午": (dt.time(11), dt.time(14)),
    "下午": (dt.time(12), dt.time(18)),
    "傍晚": (dt.time(17), dt.time(19)),
    "晚上": (dt.time(18), dt.time(23, 59)),
}
MAX_SLOT_BUTTONS = 8


def schedule_for(service: Service, community: CommunitySettings) -> SlotSchedule:
    """The service's slot schedule in this community: its own hours, or the community's."""
    b = service.booking
    assert b is not None, "only bookable services have a schedule"
    return SlotSchedule(
        hours=b.hours or community.opening_hours,
        slot_minutes=b.slot_minutes,
        capacity=b.capacity,
        weekdays=list(b.weekdays),
        timezone=community.timezone,
    )


def parse_day(value: Any) -> dt.date | None:
    """An ISO date slot value as a date."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def date_problem(day: dt.date, today: dt.date, service: Service | None) -> str | None:
    """Why a day cannot be booked, in plain words, or None."""
    if day < today:
        return "这个日期已经过去了，请选今天以后的日子。"
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return f"目前只能预约{MAX_DAYS_AHEAD}天以内的日子，请换一个近一点的日期。"
    if service is not None and service.booking is not None and day.weekday() not in service.booking.weekdays:
        return "这项服务那天不开放，请换一天。"
    return None


async def open_slots(
    session: AsyncSession, services: ActionServices, ctx: Context, service: Service, day: dt.date, people: int = 1
) -> list[Slot]:
    """Free slots of the day with room for `people`, cut from the hours staff set if the day is new."""
    from bot.backend.community_hours import slot_schedule

    schedule = await slot_schedule(session, ctx.community_id, service, ctx.community, day)
    return await free_slots(session, ctx.community_id, service.id, day, schedule, people=people,
                            now=services.clock())


def in_period(slot: Slot, period: str, tz: str) -> bool:
    """True when the slot starts within a named part of the day."""
    start, end = PERIODS[period]
    local = slot.start_at.astimezone(ZoneInfo(tz)).time()
    return start <= local < end


def match_time(slots: list[Slot], value: str, tz: str) -> Slot | None:
    """The slot starting at (or containing) an HH:MM time."""
    try:
        wanted = dt.time.fromisoformat(value)
    except ValueError:
        return None
    for s in slots:
        start = s.start_at.astimezone(ZoneInfo(tz)).time()
        end = s.end_at.astimezone(ZoneInfo(tz)).time()
        if start <= wanted < end:
            return s
    return None


def slot_buttons(slots: list[Slot], tz: str) -> list[dict[str, str]]:
    """Buttons for free slots, showing places left."""
    out = []
    for s in slots[:MAX_SLOT_BUTTONS]:
        hhmm = format_clock(s.start_at, tz)
        left = s.capacity - s.booked
        out.append({"title": f"{hhmm}（剩{left}个名额）", "payload": f'/inform{{"time":"{hhmm}"}}'})
    return out


def day_buttons(today: dt.date, count: int = 4) -> list[dict[str, str]]:
    """Buttons for the next few days."""
    from actions.common import format_day

    days = [today + dt.timedelta(days=i) for i in range(1, count + 1)]
    return [{"title": format_day(d, today), "payload": f'/inform{{"date":"{d.isoformat()}"}}'} for d in days]
