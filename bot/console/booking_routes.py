"""Bookings in the console: one service's slots on one day (close, reopen, add, resize) and its bookings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.api.deps import RuntimeDep
from bot.backend import community_hours, slot_admin
from bot.backend.models import Community, Slot, StaffUser
from bot.bootstrap import Runtime
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, revealed, visible
from bot.errors import InvalidInput, NotFound

router = APIRouter(prefix="/console")


def _services(runtime: Runtime) -> list[Any]:
    return [s for s in runtime.catalog if s.booking is not None]


async def _communities(session: SessionDep, staff: StaffUser) -> list[Community]:
    if staff.role != "admin":
        return [staff.community] if staff.community else []
    return list((await session.execute(select(Community).order_by(Community.id))).scalars())


async def _view(request: Request, runtime: Runtime, session: SessionDep, staff: StaffUser, *, service: str,
                day: str, community: str, error: str = "", status_code: int = 200,
                hours_error: str = "", hours_typed: str = "") -> Response:
    """The day view: pickers, the opening hours, the slots and the day's bookings (phones masked)."""
    communities = await _communities(session, staff)
    if not communities:
        raise ConsoleError(404, "还没有任何社区。")
    chosen = next((c for c in communities if c.code == community), communities[0])
    settings = await community_hours.effective_settings(session, chosen.id, runtime.services.community(chosen.code))
    tz = ZoneInfo(settings.timezone)
    services = _services(runtime)
    svc = runtime.catalog.get(service) if service else (services[0] if services else None)
    if svc is None or svc.booking is None:
        raise ConsoleError(404, "没有这项可预约的服务。")
    try:
        the_day = dt.date.fromisoformat(day) if day else runtime.services.local_now(chosen.code).date()
    except ValueError:
        the_day = runtime.services.local_now(chosen.code).date()
    slots = await slot_admin.day_slots(session, chosen, svc, settings, the_day)
    booked = await slot_admin.day_bookings(session, chosen.id, the_day, svc.id)
    rows = [{"b": b, "start": b.slot.start_at.astimezone(tz).strftime("%H:%M")} for b in booked]
    return render(request, "bookings.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  services=services, svc=svc, day=the_day, communities=communities, community=chosen,
                  opening_hours=settings.opening_hours, community_name=settings.name,
                  names={c.code: c.name for c in runtime.services.communities.values()},
                  service_hours=svc.booking.hours, slots=slots, rows=rows,
                  local=lambda t: t.astimezone(tz).strftime("%H:%M"), error=error, hours_error=hours_error,
                  hours_typed=hours_typed or settings.opening_hours,
                  hours_default=runtime.services.community(chosen.code).opening_hours,
                  hours_stored=bool(chosen.opening_hours))


@router.get("/bookings")
async def bookings_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                        service: str = "", day: str = "", community: str = "") -> Response:
    """One bookable service's slots and bookings on one day, in the staff member's community."""
    return await _view(request, runtime, session, staff, service=service, day=day, community=community)


def _back(slot_or_service: Slot | str, day: dt.date | str, community: str) -> RedirectResponse:
    service = slot_or_service.service_id if isinstance(slot_or_service, Slot) else slot_or_service
    query = urlencode({"service": service, "day": str(day), "community": community})
    return RedirectResponse(f"/console/bookings?{query}", status_code=303)


async def _slot(session: SessionDep, staff: StaffUser, slot_id: int) -> Slot:
    return await visible(slot_admin.visible_slot(session, staff, slot_id), "这个时段")


async def _code(session: SessionDep, community_id: int) -> str:
    found = await session.get(Community, community_id)
    return found.code if found else ""


@router.post("/bookings/slots/{slot_id}/close")
async def close_slot(slot_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Stop taking bookings in a slot; residents are no longer offered it."""
    slot = await _slot(session, staff, slot_id)
    slot_admin.set_closed(session, slot, staff, True)
    return _back(slot, slot.day, await _code(session, slot.community_id))


@router.post("/bookings/slots/{slot_id}/open")
async def open_slot(slot_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Take bookings in a closed slot again."""
    slot = await _slot(session, staff, slot_id)
    slot_admin.set_closed(session, slot, staff, False)
    return _back(slot, slot.day, await _code(session, slot.community_id))


@router.post("/bookings/slots/{slot_id}/capacity")
async def slot_capacity(slot_id: int, request: Request, runtime: RuntimeDep, session: SessionDep,
                        staff: CheckedStaffDep, capacity: Annotated[int, Form(ge=0, le=500)] = 0) -> Response:
    """Change a slot's capacity, never below the places already booked."""
    slot = await _slot(session, staff, slot_id)
    code = await _code(session, slot.community_id)
    try:
        slot_admin.set_capacity(session, slot, staff, capacity)
    except InvalidInput:
        return await _view(request, runtime, session, staff, service=slot.service_id, day=str(slot.day),
                           community=code, status_code=422,
                           error=f"这个时段已约 {slot.booked} 人，容量不能少于 {max(1, slot.booked)}。")
    return _back(slot, slot.day, code)


@router.post("/bookings/slots")
async def add_slot(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                   service: Annotated[str, Form(max_length=64)] = "",
                   day: Annotated[str, Form(max_length=10)] = "",
                   start: Annotated[str, Form(max_length=5)] = "",
                   minutes: Annotated[int, Form(ge=15, le=480)] = 60,
                   capacity: Annotated[int, Form(ge=1, le=500)] = 4,
                   community: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Add an extra slot (an evening session, a holiday opening) at a local start time."""
    try:
        c = await slot_admin.staff_community(session, staff, community or None)
        svc = slot_admin.bookable(runtime.catalog, service)
    except (NotFound, InvalidInput) as exc:
        raise ConsoleError(404, "没有找到这个社区或服务。") from exc
    try:
        begins = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(start))
    except ValueError:
        return await _view(request, runtime, session, staff, service=svc.id, day=day, community=c.code,
                           status_code=422, error="请填写正确的日期和开始时间，例如 19:00。")
    tz = runtime.services.community(c.code).timezone
    try:
        await slot_admin.add_slot(session, staff, c, svc, begins, minutes, capacity, tz)
    except slot_admin.SlotTaken:
        return await _view(request, runtime, session, staff, service=svc.id, day=day, community=c.code,
                           status_code=409, error=f"{start} 已经有一个时段了。")
    return _back(svc.id, day, c.code)


@router.post("/bookings/{number}/cancel")
async def cancel_booking(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                         staff: CheckedStaffDep, reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Cancel a booking and tell the resident why through their own channel."""
    booking = await visible(slot_admin.visible_booking(session, staff, number), "这条预约")
    code = await _code(session, booking.community_id)
    try:
        await slot_admin.cancel_by_staff(session, runtime.catalog, booking, staff, reason.strip())
    except InvalidInput:
        return await _view(request, runtime, session, staff, service=booking.service_id, day=str(booking.slot.day),
                           community=code, status_code=409, error=f"预约 {booking.number} 已是“{booking.status}”。")
    return _back(booking.service_id, booking.slot.day, code)


@router.post("/bookings/{number}/reveal")
async def reveal_phone(number: str, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """The booking's full phone number, for staff who must call the resident (audited)."""
    booking = await visible(slot_admin.visible_booking(session, staff, number), "这条预约")
    return revealed(session, staff, "booking", booking.number, phone=booking.phone)


@router.post("/bookings/hours")
async def opening_hours(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                        hours: Annotated[str, Form(max_length=120)] = "",
                        community: Annotated[str, Form(max_length=64)] = "",
                        service: Annotated[str, Form(max_length=64)] = "",
                        day: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Change the community's opening hours; days without slots yet are cut from them."""
    try:
        c = await slot_admin.staff_community(session, staff, community or None)
    except (NotFound, InvalidInput) as exc:
        raise ConsoleError(404, "没有找到这个社区，或它不是您的社区。") from exc
    try:
        community_hours.set_opening_hours(session, staff, c, hours)
    except InvalidInput as exc:
        return await _view(request, runtime, session, staff, service=service, day=day, community=c.code,
                           status_code=422, hours_error=str(exc), hours_typed=hours)
    return _back(service, day, c.code)
