"""Bookings in the console: one service's slots on one day (close, reopen, add, resize) and its bookings, or
every service's bookings of the day; attendance (已到场 / 未到场); the filtered list as an Excel file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from actions import hours as community_hours
from bot.api.deps import RuntimeDep
from bot.backend import bookings, slot_admin
from bot.backend.models import Booking, Community, Slot, StaffUser
from bot.backend.staff_actions import audit
from bot.backend.statuses import BookingStatus
from bot.bootstrap import Runtime
from bot.console.list_export import download, workbook_bytes
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, revealed, visible
from bot.errors import InvalidInput, NotFound
from bot.masking import mask_personal_data, mask_phone
from knowledge.schema import Service

router = APIRouter(prefix="/console")


def _services(runtime: Runtime) -> list[Service]:
    return [s for s in runtime.catalog if s.booking is not None]


async def _communities(session: SessionDep, staff: StaffUser) -> list[Community]:
    if staff.role != "admin":
        return [staff.community] if staff.community else []
    return list((await session.execute(select(Community).order_by(Community.id))).scalars())


ALL = "all"  # the service picker's 全部服务: every service's bookings of the day in one list
STATUSES = [str(s) for s in BookingStatus]
ATTENDANCE = [str(s) for s in bookings.ATTENDANCE]


def _home(svc: Service | None) -> bool:
    return bool(svc and svc.booking and svc.booking.home_visit)


async def _view(request: Request, runtime: Runtime, session: SessionDep, staff: StaffUser, *, service: str,
                day: str, community: str, status: str = "", error: str = "", status_code: int = 200,
                hours_error: str = "", hours_typed: str = "", confirm_close: Slot | None = None) -> Response:
    """The day view: pickers, the opening hours, the slots and the day's bookings (phones masked).

    With 全部服务 it lists every service's bookings of the day and what each service has booked, without
    cutting any service's slots (looking is not a reason to fix a day's calendar).
    """
    communities = await _communities(session, staff)
    if not communities:
        raise ConsoleError(404, "还没有任何社区。")
    chosen = next((c for c in communities if c.code == community), communities[0])
    settings = await community_hours.effective_settings(session, chosen.id, runtime.services.community(chosen.code))
    tz = ZoneInfo(settings.timezone)
    services = _services(runtime)
    every = service == ALL
    svc = None if every else runtime.catalog.get(service) if service else (services[0] if services else None)
    if not every and (svc is None or svc.booking is None):
        raise ConsoleError(404, "没有这项可预约的服务。")
    try:
        the_day = dt.date.fromisoformat(day) if day else runtime.services.local_now(chosen.code).date()
    except ValueError:
        the_day = runtime.services.local_now(chosen.code).date()
    status = status if status in STATUSES else ""
    now = runtime.services.clock()
    if svc is not None:
        slots = await community_hours.day_slots(session, chosen, svc, settings, the_day)
    else:
        slots = await slot_admin.day_slots_of_all(session, chosen.id, the_day)
    booked = await slot_admin.day_bookings(session, chosen.id, the_day, svc.id if svc else None, status or None)
    rows = [{"b": b, "start": b.slot.start_at.astimezone(tz).strftime("%H:%M"),
             "service": runtime.catalog.name_of(b.service_id),
             "home": _home(runtime.catalog.get(b.service_id)) or bool(b.address),
             "can_mark": b.status in (bookings.ACTIVE, *bookings.ATTENDANCE) and b.slot.start_at <= now}
            for b in booked]
    per_service = [{"svc": s, "slots": len(mine), "booked": sum(x.booked for x in mine),
                    "capacity": sum(x.capacity for x in mine)}
                   for s in services if (mine := [x for x in slots if x.service_id == s.id])] if every else []
    return render(request, "bookings.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  services=services, svc=svc, every=every, all_value=ALL, day=the_day, communities=communities,
                  community=chosen, opening_hours=settings.opening_hours, community_name=settings.name,
                  names={c.code: c.name for c in runtime.services.communities.values()},
                  service_hours=svc.booking.hours if svc and svc.booking else "", slots=slots if svc else [],
                  per_service=per_service, rows=rows, statuses=STATUSES, attendance=ATTENDANCE, status=status,
                  home_service=_home(svc), confirm_close=confirm_close,
                  local=lambda t: t.astimezone(tz).strftime("%H:%M"), error=error, hours_error=hours_error,
                  hours_typed=hours_typed or settings.opening_hours,
                  hours_default=runtime.services.community(chosen.code).opening_hours,
                  hours_stored=bool(chosen.opening_hours))


@router.get("/bookings")
async def bookings_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                        service: str = "", day: str = "", community: str = "", status: str = "") -> Response:
    """One bookable service's slots and bookings on one day (or every service's bookings), in the staff
    member's community, optionally only the bookings in one status."""
    return await _view(request, runtime, session, staff, service=service, day=day, community=community,
                       status=status)


def _back(slot_or_service: Slot | str, day: dt.date | str, community: str, status: str = "") -> RedirectResponse:
    service = slot_or_service.service_id if isinstance(slot_or_service, Slot) else slot_or_service
    query = urlencode({"service": service, "day": str(day), "community": community,
                       **({"status": status} if status in STATUSES else {})})
    return RedirectResponse(f"/console/bookings?{query}", status_code=303)


async def _slot(session: SessionDep, staff: StaffUser, slot_id: int) -> Slot:
    return await visible(slot_admin.visible_slot(session, staff, slot_id), "这个时段")


async def _code(session: SessionDep, community_id: int) -> str:
    found = await session.get(Community, community_id)
    return found.code if found else ""


@router.post("/bookings/slots/{slot_id}/close")
async def close_slot(slot_id: int, request: Request, runtime: RuntimeDep, session: SessionDep,
                     staff: CheckedStaffDep, confirm: Annotated[str, Form(max_length=4)] = "") -> Response:
    """Stop taking bookings in a slot; residents are no longer offered it. A slot that holds bookings is
    closed only after staff are told so and confirm (the page asks again, 409)."""
    slot = await _slot(session, staff, slot_id)
    code = await _code(session, slot.community_id)
    try:
        slot_admin.set_closed(session, slot, staff, True, confirmed=bool(confirm))
    except slot_admin.SlotHoldsBookings:
        return await _view(request, runtime, session, staff, service=slot.service_id, day=str(slot.day),
                           community=code, status_code=409, confirm_close=slot)
    return _back(slot, slot.day, code)


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
        svc = community_hours.bookable(runtime.catalog, service)
    except (NotFound, InvalidInput) as exc:
        raise ConsoleError(404, "没有找到这个社区或服务。") from exc
    try:
        begins = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(start))
    except ValueError:
        return await _view(request, runtime, session, staff, service=svc.id, day=day, community=c.code,
                           status_code=422, error="请填写正确的日期和开始时间，例如 19:00。")
    settings = runtime.services.community(c.code)
    regular = await community_hours.slot_schedule(session, c.id, svc, settings, begins.date())
    try:
        await slot_admin.add_slot(session, staff, c, svc.id, begins, minutes, capacity, settings.timezone,
                                  regular=regular, now=runtime.services.clock())
    except slot_admin.SlotTaken:
        return await _view(request, runtime, session, staff, service=svc.id, day=day, community=c.code,
                           status_code=409, error=f"{start} 已经有一个时段了。")
    except slot_admin.SlotInPast:
        return await _view(request, runtime, session, staff, service=svc.id, day=day, community=c.code,
                           status_code=422, error=f"{day} {start} 已经过去了，不能加开这个时段。")
    return _back(svc.id, day, c.code)


@router.post("/bookings/{number}/cancel")
async def cancel_booking(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                         staff: CheckedStaffDep, reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Cancel a booking and tell the resident why through their own channel."""
    booking = await visible(slot_admin.visible_booking(session, staff, number), "这条预约")
    code = await _code(session, booking.community_id)
    try:
        await slot_admin.cancel_by_staff(session, booking, staff, reason.strip(),
                                        runtime.catalog.name_of(booking.service_id))
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


@router.post("/bookings/{number}/attendance")
async def attendance(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                     staff: CheckedStaffDep, status: Annotated[str, Form(max_length=16)] = "",
                     view: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Mark whether the resident came, once the slot has begun; a no-show gets no rating request."""
    booking = await visible(slot_admin.visible_booking(session, staff, number), "这条预约")
    code = await _code(session, booking.community_id)
    back = ALL if view == ALL else booking.service_id
    try:
        slot_admin.mark_attendance(session, booking, staff, status, runtime.services.clock())
    except InvalidInput:
        why = (f"预约 {booking.number} 已是“{booking.status}”。" if booking.status == BookingStatus.CANCELLED
               else f"预约 {booking.number} 的时间还没到，到时再标记是否到场。")
        return await _view(request, runtime, session, staff, service=back, day=str(booking.slot.day),
                           community=code, status_code=409, error=why)
    return _back(back, booking.slot.day, code)


EXPORT_HEADINGS = ("预约号", "服务", "日期", "时间", "人数", "姓名", "电话", "上门地址", "状态", "下单时间")


def _export_row(b: Booking, runtime: Runtime, tz: ZoneInfo, full: bool) -> tuple[object, ...]:
    local = b.slot.start_at.astimezone(tz)
    address = b.address or ""
    return (b.number, runtime.catalog.name_of(b.service_id), local.strftime("%Y-%m-%d"),
            f"{local:%H:%M}–{b.slot.end_at.astimezone(tz):%H:%M}", b.people, b.name,
            b.phone if full else mask_phone(b.phone), address if full else mask_personal_data(address),
            b.status, b.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))


@router.post("/bookings/export")
async def export_bookings(runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                          service: Annotated[str, Form(max_length=64)] = "",
                          day: Annotated[str, Form(max_length=10)] = "",
                          community: Annotated[str, Form(max_length=64)] = "",
                          status: Annotated[str, Form(max_length=16)] = "",
                          full_phone: Annotated[str, Form(max_length=4)] = "") -> Response:
    """The day's bookings as listed (one service or all, one status or all) as an Excel file. Phones are
    masked unless staff tick 含完整电话 to call residents from the sheet; every export is audited."""
    try:
        c = await slot_admin.staff_community(session, staff, community or None)
        the_day = dt.date.fromisoformat(day)
    except (NotFound, InvalidInput, ValueError) as exc:
        raise ConsoleError(404, "没有找到这个社区，或日期不对。") from exc
    if service != ALL and runtime.catalog.get(service) is None:
        raise ConsoleError(404, "没有这项可预约的服务。")
    status = status if status in STATUSES else ""
    tz = ZoneInfo(runtime.services.community(c.code).timezone)
    found = await slot_admin.day_bookings(session, c.id, the_day, None if service == ALL else service, status or None)
    full = bool(full_phone)
    audit(session, staff, "export", "bookings", len(found), full_phone=full, community=c.code, day=day,
          service=service, status=status)
    what = "全部服务" if service == ALL else runtime.catalog.name_of(service)
    content = workbook_bytes("预约", EXPORT_HEADINGS, (_export_row(b, runtime, tz, full) for b in found),
                             wide=("上门地址",))
    return download(content, f"预约-{what}-{day}.xlsx", f"bookings-{day}.xlsx")
