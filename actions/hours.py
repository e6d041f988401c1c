"""A community's opening hours as staff set them in the console, over those of its settings file, and the
slot schedules cut from them.

It joins the stored hours (the backend) with the community's settings file and the service's booking
rules (the catalog), so it sits above both; the console, the staff API and the booking actions use it.
Slots are cut lazily, so the stored hours apply to days nobody has looked at yet; a day that already has
slots keeps them (bookings may hang on them), and staff adjust it slot by slot if they need to.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.bookings import SlotSchedule, ensure_slots
from bot.backend.models import Community, Slot, StaffUser
from bot.backend.office_hours import OfficeHours
from bot.backend.opening_hours import parse_hours
from bot.backend.staff_actions import audit
from bot.errors import InvalidInput, NotFound
from knowledge.community import check_opening_hours
from knowledge.loader import Catalog
from knowledge.schema import CommunitySettings, Service

# A schedule that cuts nothing: a day already materialised is left as it is.
_NO_HOURS = ""


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


def normalise(hours: str) -> str:
    """The hours written one way ("08:30-12:00,13:30-18:00") whatever separators staff typed."""
    return ",".join(f"{_hhmm(i.start)}-{_hhmm(i.end)}" for i in parse_hours(hours))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def stored_hours(session: AsyncSession, community_id: int) -> str | None:
    """The opening hours staff stored for a community, or None when the settings file's apply."""
    stmt = select(Community.opening_hours).where(Community.id == community_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def effective_settings(session: AsyncSession, community_id: int,
                             settings: CommunitySettings) -> CommunitySettings:
    """The community's settings with the stored opening hours in place of the file's, if any."""
    stored = await stored_hours(session, community_id)
    return settings.model_copy(update={"opening_hours": stored}) if stored else settings


async def office_hours(session: AsyncSession, community_id: int, settings: CommunitySettings) -> OfficeHours:
    """When the community's office is staffed: the stored hours (or the file's) on the file's opening days."""
    effective = await effective_settings(session, community_id, settings)
    return OfficeHours.parse(normalise(effective.opening_hours), effective.opening_days, effective.timezone)


async def slot_schedule(session: AsyncSession, community_id: int, service: Service, settings: CommunitySettings,
                        day: dt.date) -> SlotSchedule:
    """The schedule to cut a day's slots from: the stored hours for a new day, nothing for a day already cut.

    Every caller that cuts slots (resident booking, console and staff API day views) goes through here,
    so a change of hours takes effect in one place.
    """
    schedule = schedule_for(service, await effective_settings(session, community_id, settings))
    existing = (await session.execute(select(func.count(Slot.id)).where(
        Slot.community_id == community_id, Slot.service_id == service.id, Slot.day == day))).scalar_one()
    if existing:
        return SlotSchedule(hours=_NO_HOURS, slot_minutes=schedule.slot_minutes, capacity=schedule.capacity,
                            weekdays=schedule.weekdays, timezone=schedule.timezone)
    return schedule


def set_opening_hours(session: AsyncSession, staff: StaffUser, community: Community, hours: str) -> str:
    """Store new opening hours after checking them (at least 8 hours a day); InvalidInput says why not."""
    problems = check_opening_hours(hours.strip())
    if problems:
        raise InvalidInput(problems[0])
    before = community.opening_hours
    community.opening_hours = normalise(hours)
    audit(session, staff, "opening_hours", "community", community.code, before=before,
          opening_hours=community.opening_hours)
    return community.opening_hours


def bookable(catalog: Catalog, service_id: str) -> Service:
    """A bookable service of the catalog, or NotFound."""
    svc = catalog.get(service_id)
    if svc is None or svc.booking is None:
        raise NotFound("no such bookable service")
    return svc


async def day_slots(session: AsyncSession, community: Community, service: Service, settings: CommunitySettings,
                    day: dt.date) -> list[Slot]:
    """A service's slots on a day, cut from its schedule first if the day was never looked at (console and
    staff API day views)."""
    schedule = await slot_schedule(session, community.id, service, settings, day)
    await ensure_slots(session, community.id, service.id, day, schedule)
    stmt = (select(Slot).where(Slot.community_id == community.id, Slot.service_id == service.id, Slot.day == day)
            .order_by(Slot.start_at))
    return list((await session.execute(stmt)).scalars())
