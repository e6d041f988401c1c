"""Staff API for bookable services: slot calendars (close, add) and bookings (list, cancel)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.deps import RuntimeDep, SessionDep, StaffDep
from bot.backend import bookings
from bot.backend.models import AuditLog, Booking, Community, Conversation, Slot, StaffUser
from bot.backend.outbox import notify
from bot.backend.residents import get_community

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
    if staff.role != "admin":
        assert staff.community is not None
        if code and code != staff.community.code:
            raise HTTPException(404, "community not found")
        return staff.community
    community = await get_community(session, code or "")
    if community is None:
        raise HTTPException(422, "administrators must name a community")
    return community


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
    from actions.slots import schedule_for

    c = await _community(session, staff, community)
    svc = runtime.catalog.get(service)
    if svc is None or svc.booking is None:
        raise HTTPException(404, "no such bookable service")
    settings = runtime.services.community(c.code)
    await bookings.ensure_slots(session, c.id, svc.id, day, schedule_for(svc, settings))
    stmt = (select(Slot).where(Slot.community_id == c.id, Slot.service_id == svc.id, Slot.day == day)
            .order_by(Slot.start_at))
    return [_slot_dict(s, settings.timezone) for s in (await session.execute(stmt)).scalars()]


async def _own_slot(session: Any, staff: StaffUser, slot_id: int) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None or (staff.role != "admin" and slot.community_id != staff.community_id):
        raise HTTPException(404, "slot not found")
    return slot


@router.post("/slots/{slot_id}/close")
async def close_slot(slot_id: int, runtime: RuntimeDep, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Stop taking bookings in a slot (existing bookings stay until cancelled one by one)."""
    slot = await _own_slot(session, staff, slot_id)
    slot.closed = True
    session.add(AuditLog(staff_id=staff.id, action="close_slot", object_type="slot", object_id=str(slot.id)))
    return {"id": slot.id, "closed": True, "booked": slot.booked}


@router.post("/slots/{slot_id}/open")
async def open_slot(slot_id: int, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Take bookings in a closed slot again."""
    slot = await _own_slot(session, staff, slot_id)
    slot.closed = False
    session.add(AuditLog(staff_id=staff.id, action="open_slot", object_type="slot", object_id=str(slot.id)))
    return {"id": slot.id, "closed": False}


@router.post("/slots", status_code=201)
async def add_slot(body: SlotIn, runtime: RuntimeDep, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Add an extra slot (an evening session, a holiday opening)."""
    c = await _community(session, staff, body.community)
    svc = runtime.catalog.get(body.service)
    if svc is None or svc.booking is None:
        raise HTTPException(404, "no such bookable service")
    tz = runtime.services.community(c.code).timezone
    start = body.start if body.start.tzinfo else body.start.replace(tzinfo=ZoneInfo(tz))
    exists = (await session.execute(select(Slot).where(
        Slot.community_id == c.id, Slot.service_id == svc.id, Slot.start_at == start))).scalar_one_or_none()
    if exists is not None:
        raise HTTPException(409, "a slot already starts at that time")
    slot = Slot(community_id=c.id, service_id=svc.id, day=start.astimezone(ZoneInfo(tz)).date(), start_at=start,
                end_at=start + dt.timedelta(minutes=body.minutes), capacity=body.capacity, booked=0, closed=False)
    session.add(slot)
    await session.flush()
    session.add(AuditLog(staff_id=staff.id, action="add_slot", object_type="slot", object_id=str(slot.id)))
    return _slot_dict(slot, tz)


@router.get("/bookings")
async def list_bookings(runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                        day: Annotated[dt.date, Query()], community: str | None = None) -> list[dict[str, Any]]:
    """The day's bookings of the community, phone numbers masked."""
    from actions.common import mask_phone

    c = await _community(session, staff, community)
    tz = runtime.services.community(c.code).timezone
    stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.community_id == c.id, Slot.day == day).order_by(Slot.start_at))
    return [{"number": b.number, "service": b.service_id, "start": _slot_dict(b.slot, tz)["start"],
             "people": b.people, "name": b.name, "phone": mask_phone(b.phone), "status": b.status}
            for b in (await session.execute(stmt)).unique().scalars()]


@router.post("/bookings/{number}/cancel")
async def cancel_booking(number: str, body: CancelIn, runtime: RuntimeDep, session: SessionDep,
                         staff: StaffDep) -> dict[str, Any]:
    """Cancel a booking and tell the resident why."""
    booking = await bookings.get_by_number(session, number)
    if booking is None or (staff.role != "admin" and booking.community_id != staff.community_id):
        raise HTTPException(404, "booking not found")
    if booking.status != bookings.ACTIVE:
        raise HTTPException(409, f"booking is {booking.status}")
    await bookings.cancel(session, booking)
    session.add(AuditLog(staff_id=staff.id, action="cancel_booking", object_type="booking", object_id=booking.number,
                         detail={"reason": body.reason}))
    if booking.conversation_id is not None:
        conv = await session.get(Conversation, booking.conversation_id)
        if conv is not None:
            svc = runtime.catalog.get(booking.service_id)
            why = f"，原因：{body.reason}" if body.reason else ""
            text = (f"很抱歉，您的预约{booking.number}（{svc.name if svc else ''}）已被社区取消{why}。"
                    "需要的话可以重新预约，或回复“转人工”。")
            await notify(session, conv, text, kind="status")
    return {"number": booking.number, "status": booking.status}
