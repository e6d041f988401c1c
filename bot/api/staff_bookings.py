"""Staff API for bookable services: slot calendars (close, add) and bookings (list, cancel, attendance).

The work itself lives in bot.backend.slot_admin and actions.hours, shared with the console; this module only maps it
to JSON and HTTP status codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from actions import hours
from bot.api.deps import RowId, RuntimeDep, SessionDep, StaffDep, TicketNumber
from bot.backend import slot_admin
from bot.backend.models import Community, Slot, StaffUser
from bot.errors import InvalidInput
from bot.masking import mask_phone

router = APIRouter(prefix="/api/v1/staff")


class SlotIn(BaseModel):
    service: str
    start: dt.datetime = Field(description="local start time, e.g. 2026-12-01T19:00")
    minutes: int = Field(default=60, ge=15, le=480)
    capacity: int = Field(default=4, ge=1, le=500)
    community: str | None = None


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=500)


async def _community(session: Any, staff: StaffUser, code: str | None) -> Community:
    """The staff member's own community; administrators name one."""
    return await slot_admin.staff_community(session, staff, code)


def _bookable(runtime: RuntimeDep, service: str) -> Any:
    return hours.bookable(runtime.catalog, service)


def _slot_dict(slot: Slot, tz: str) -> dict[str, Any]:
    local = slot.start_at.astimezone(ZoneInfo(tz))
    return {"id": slot.id, "service": slot.service_id, "day": slot.day.isoformat(), "start": local.strftime("%H:%M"),
            "end": slot.end_at.astimezone(ZoneInfo(tz)).strftime("%H:%M"), "capacity": slot.capacity,
            "booked": slot.booked, "closed": slot.closed}


@router.get("/slots")
async def list_slots(
    runtime: RuntimeDep, session: SessionDep, staff: StaffDep, service: str,
    day: Annotated[dt.date, Query()], community: str | None = None,
) -> list[dict[str, Any]]:
    """A service's slots on a day, created from its schedule if not yet there."""
    c = await _community(session, staff, community)
    svc = _bookable(runtime, service)
    settings = runtime.services.community(c.code)
    return [_slot_dict(s, settings.timezone) for s in await hours.day_slots(session, c, svc, settings, day)]


@router.post("/slots/{slot_id}/close")
async def close_slot(slot_id: RowId, session: SessionDep, staff: StaffDep, confirm: bool = False) -> dict[str, Any]:
    """Stop taking bookings in a slot (existing bookings stay until cancelled one by one).

    A slot that holds bookings is closed only with `confirm=true`; without it the answer is 409 with the
    number of places booked, so a client can ask its user first.
    """
    slot = await slot_admin.visible_slot(session, staff, slot_id)
    try:
        slot_admin.set_closed(session, slot, staff, True, confirmed=confirm)
    except slot_admin.SlotHoldsBookings as exc:
        raise HTTPException(409, f"the slot holds {exc.booked} booked places; repeat with confirm=true "
                                 "to close it anyway (the bookings stay)") from exc
    return {"id": slot.id, "closed": True, "booked": slot.booked}


@router.post("/slots/{slot_id}/open")
async def open_slot(slot_id: RowId, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Take bookings in a closed slot again."""
    slot = await slot_admin.visible_slot(session, staff, slot_id)
    slot_admin.set_closed(session, slot, staff, False)
    return {"id": slot.id, "closed": False}


@router.post("/slots", status_code=201)
async def add_slot(body: SlotIn, runtime: RuntimeDep, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Add an extra slot (an evening session, a holiday opening)."""
    c = await _community(session, staff, body.community)
    svc = _bookable(runtime, body.service)
    settings = runtime.services.community(c.code)
    tz = settings.timezone
    start = body.start if body.start.tzinfo else body.start.replace(tzinfo=ZoneInfo(tz))
    regular = await hours.slot_schedule(session, c.id, svc, settings, start.astimezone(ZoneInfo(tz)).date())
    try:
        slot = await slot_admin.add_slot(session, staff, c, svc.id, start, body.minutes, body.capacity, tz,
                                         regular=regular, now=runtime.services.clock())
    except slot_admin.SlotTaken as exc:
        raise HTTPException(409, "a slot already starts at that time") from exc
    except slot_admin.SlotInPast as exc:
        raise HTTPException(422, "the slot would start in the past") from exc
    return _slot_dict(slot, tz)


@router.get("/bookings")
async def list_bookings(runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                        day: Annotated[dt.date, Query()], community: str | None = None) -> list[dict[str, Any]]:
    """The day's bookings of the community, phone numbers masked."""
    c = await _community(session, staff, community)
    tz = runtime.services.community(c.code).timezone
    return [{"number": b.number, "service": b.service_id, "start": _slot_dict(b.slot, tz)["start"],
             "people": b.people, "name": b.name, "phone": mask_phone(b.phone), "address": b.address or "",
             "status": b.status}
            for b in await slot_admin.day_bookings(session, c.id, day)]


class AttendanceIn(BaseModel):
    status: str = Field(description="已到场 or 未到场")


@router.post("/bookings/{number}/attendance")
async def booking_attendance(number: TicketNumber, body: AttendanceIn, runtime: RuntimeDep, session: SessionDep,
                             staff: StaffDep) -> dict[str, Any]:
    """Record whether the resident came, once the slot has begun (a no-show is not asked for a rating)."""
    booking = await slot_admin.visible_booking(session, staff, number)
    try:
        slot_admin.mark_attendance(session, booking, staff, body.status, runtime.services.clock())
    except InvalidInput as exc:
        raise HTTPException(409, f"booking is {booking.status}; attendance is marked once its slot has begun "
                                 "with 已到场 or 未到场") from exc
    return {"number": booking.number, "status": booking.status}


@router.post("/bookings/{number}/cancel")
async def cancel_booking(number: TicketNumber, body: CancelIn, runtime: RuntimeDep, session: SessionDep,
                         staff: StaffDep) -> dict[str, Any]:
    """Cancel a booking and tell the resident why."""
    booking = await slot_admin.visible_booking(session, staff, number)
    try:
        await slot_admin.cancel_by_staff(session, booking, staff, body.reason,
                                         runtime.catalog.name_of(booking.service_id))
    except InvalidInput as exc:
        raise HTTPException(409, f"booking is {booking.status}") from exc
    return {"number": booking.number, "status": booking.status}
