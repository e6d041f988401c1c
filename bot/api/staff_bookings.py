"""Staff API for bookable services: slot calendars (close, add) and bookings (list, cancel).

The work itself lives in bot.backend.slot_admin, shared with the console; this module only maps it
to JSON and HTTP status codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

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
    return slot_admin.bookable(runtime.catalog, service)


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
    return [_slot_dict(s, settings.timezone) for s in await slot_admin.day_slots(session, c, svc, settings, day)]


@router.post("/slots/{slot_id}/close")
async def close_slot(slot_id: RowId, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Stop taking bookings in a slot (existing bookings stay until cancelled one by one)."""
    slot = await slot_admin.visible_slot(session, staff, slot_id)
    slot_admin.set_closed(session, slot, staff, True)
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
    tz = runtime.services.community(c.code).timezone
    try:
        slot = await slot_admin.add_slot(session, staff, c, svc, body.start, body.minutes, body.capacity, tz)
    except slot_admin.SlotTaken as exc:
        raise HTTPException(409, "a slot already starts at that time") from exc
    return _slot_dict(slot, tz)


@router.get("/bookings")
async def list_bookings(runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                        day: Annotated[dt.date, Query()], community: str | None = None) -> list[dict[str, Any]]:
    """The day's bookings of the community, phone numbers masked."""
    c = await _community(session, staff, community)
    tz = runtime.services.community(c.code).timezone
    return [{"number": b.number, "service": b.service_id, "start": _slot_dict(b.slot, tz)["start"],
             "people": b.people, "name": b.name, "phone": mask_phone(b.phone), "status": b.status}
            for b in await slot_admin.day_bookings(session, c.id, day)]


@router.post("/bookings/{number}/cancel")
async def cancel_booking(number: TicketNumber, body: CancelIn, runtime: RuntimeDep, session: SessionDep,
                         staff: StaffDep) -> dict[str, Any]:
    """Cancel a booking and tell the resident why."""
    booking = await slot_admin.visible_booking(session, staff, number)
    try:
        await slot_admin.cancel_by_staff(session, runtime.catalog, booking, staff, body.reason)
    except InvalidInput as exc:
        raise HTTPException(409, f"booking is {booking.status}") from exc
    return {"number": booking.number, "status": booking.status}
