"""Work orders (接诉即办) in the console: filtered list, one order's history, status changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.api.deps import RuntimeDep
from bot.backend import staff_actions, work_order_assign, workorders
from bot.backend.models import StaffUser, WorkOrder, utcnow
from bot.bootstrap import Runtime
from bot.console.web import CheckedStaffDep, SessionDep, StaffDep, render, revealed, visible
from bot.errors import InvalidInput

router = APIRouter(prefix="/console")
OPEN = ("待受理", "已受理", "处理中")
UNASSIGNED = "-"


def _local_midnight(value: str, tz: ZoneInfo, days: int = 0) -> dt.datetime | None:
    """A date typed in a filter as the UTC moment its local day starts (None when blank or malformed)."""
    try:
        day = dt.date.fromisoformat(value.strip()) + dt.timedelta(days=days)
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def _tz(runtime: Runtime, staff: StaffUser) -> ZoneInfo:
    return ZoneInfo(runtime.services.community(staff.community.code if staff.community else None).timezone)


@router.get("/work-orders")
async def work_orders(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                      status: str = "", category: str = "", overdue: str = "", assignee: str = "",
                      created_from: str = "", created_to: str = "") -> Response:
    """Work orders of the staff member's community, filtered by status, category, overdue, assignee and date."""
    base = select(WorkOrder)
    if staff.role != "admin":
        base = base.where(WorkOrder.community_id == staff.community_id)
    categories = sorted(set((await session.execute(base.with_only_columns(WorkOrder.category))).scalars()))
    assignees = sorted({a for a in (await session.execute(base.with_only_columns(WorkOrder.assignee))).scalars()
                        if a})
    stmt = base.order_by(WorkOrder.id.desc()).limit(300)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    if category:
        stmt = stmt.where(WorkOrder.category == category)
    if assignee == UNASSIGNED:
        stmt = stmt.where(WorkOrder.assignee.is_(None))
    elif assignee:
        stmt = stmt.where(WorkOrder.assignee == assignee)
    tz = _tz(runtime, staff)
    since, until = _local_midnight(created_from, tz), _local_midnight(created_to, tz, days=1)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    if until is not None:
        stmt = stmt.where(WorkOrder.created_at < until)
    now = utcnow()
    if overdue:
        stmt = stmt.where(WorkOrder.status.in_(OPEN), WorkOrder.due_at < now)
    orders = list((await session.execute(stmt)).scalars())
    rows = [{"order": o, "overdue": workorders.is_overdue(o, now)} for o in orders]
    rows.sort(key=lambda r: not r["overdue"])
    return render(request, "work_orders.html", runtime, staff, rows=rows,  # type: ignore[no-any-return]
                  statuses=workorders.STATUSES, categories=categories, assignees=assignees,
                  unassigned=UNASSIGNED,
                  filters={"status": status, "category": category, "overdue": overdue, "assignee": assignee,
                           "created_from": created_from if since else "",
                           "created_to": created_to if until else ""})


async def _get(session: SessionDep, staff: StaffDep, number: str) -> WorkOrder:
    return await visible(staff_actions.visible_work_order(session, staff, number), "这张工单")


@router.get("/work-orders/{number}")
async def work_order(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                     staff: StaffDep) -> Response:
    """One work order with its history and the moves it can make next."""
    order = await _get(session, staff, number)
    return _detail(request, runtime, staff, order)


def _detail(request: Request, runtime: Runtime, staff: StaffUser, order: WorkOrder, status_code: int = 200,
            **extra: str) -> Response:
    """The work-order page, optionally with an error next to one of its forms."""
    return render(request, "work_order.html", runtime, staff, status_code=status_code, order=order,  # type: ignore[no-any-return]
                  overdue=workorders.is_overdue(order), next_statuses=workorders.TRANSITIONS[order.status],
                  finished=order.status in work_order_assign.FINISHED, **extra)


@router.post("/work-orders/{number}/reveal")
async def reveal_phone(number: str, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """The order's contact number, and its description and place unmasked, for staff who must call (audited)."""
    order = await _get(session, staff, number)
    return revealed(session, staff, "work_order", order.number, phone=order.contact_phone,
                    description=order.description, location=order.location)


@router.post("/work-orders/{number}/status")
async def change_status(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                        staff: CheckedStaffDep, status: Annotated[str, Form(max_length=16)] = "",
                        note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Move the work order on; the resident is told (and asked for a rating once it is 已办结)."""
    order = await _get(session, staff, number)
    try:
        await staff_actions.change_work_order_status(session, order, staff, status, note.strip())
    except InvalidInput:
        return _detail(request, runtime, staff, order, status_code=422, error=f"不能从“{order.status}”改为“{status}”。")
    return RedirectResponse(f"/console/work-orders/{order.number}", status_code=303)


@router.post("/work-orders/{number}/assign")
async def assign(number: str, request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                 assignee: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Hand the order to a department or grid worker; a new order is accepted and the resident told by whom."""
    order = await _get(session, staff, number)
    try:
        await work_order_assign.assign(session, order, staff, assignee)
    except InvalidInput:
        why = (f"工单已是“{order.status}”，请先把状态改回“处理中”再分派。" if order.status in work_order_assign.FINISHED
               else f"请填写承办部门或人员（不超过 {work_order_assign.MAX_ASSIGNEE} 个字）。")
        return _detail(request, runtime, staff, order, status_code=422, assign_error=why, assignee_typed=assignee)
    return RedirectResponse(f"/console/work-orders/{order.number}", status_code=303)
