"""Work orders (接诉即办) in the console: filtered list and its Excel export, one order's history, status changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, select

from actions.rating import rating_buttons
from bot.api.deps import RuntimeDep
from bot.backend import staff_actions, work_order_assign, workorders
from bot.backend.models import StaffUser, WorkOrder
from bot.backend.staff_actions import audit
from bot.backend.statuses import WorkOrderStatus
from bot.bootstrap import Runtime
from bot.console.list_export import download, workbook_bytes
from bot.console.web import CheckedStaffDep, SessionDep, StaffDep, local_time, render, revealed, visible
from bot.errors import InvalidInput
from bot.masking import mask_personal_data, mask_phone

router = APIRouter(prefix="/console")
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


@dataclass(frozen=True)
class Filters:
    """What a work-order list is narrowed to; the page's query and the export form carry the same fields."""

    status: str = ""
    category: str = ""
    overdue: str = ""
    assignee: str = ""
    mine: str = ""
    created_from: str = ""
    created_to: str = ""


def mine_names(staff: StaffUser) -> set[str]:
    """The assignee names that mean the signed-in staff member: work is handed to them by login or by the
    name colleagues know them by (the assign form takes either)."""
    return {n for n in (staff.username, staff.display_name) if n}


def _filtered(base: Select[WorkOrder], f: Filters, staff: StaffUser, tz: ZoneInfo,
              now: dt.datetime) -> tuple[Select[WorkOrder], dict[str, str]]:
    """The query narrowed by the filters, and the filters as the page shows them (malformed dates blanked)."""
    stmt = base
    if f.status:
        stmt = stmt.where(WorkOrder.status == f.status)
    if f.category:
        stmt = stmt.where(WorkOrder.category == f.category)
    if f.assignee == UNASSIGNED:
        stmt = stmt.where(WorkOrder.assignee.is_(None))
    elif f.assignee:
        stmt = stmt.where(WorkOrder.assignee == f.assignee)
    if f.mine:
        stmt = stmt.where(WorkOrder.assignee.in_(mine_names(staff)))
    since, until = _local_midnight(f.created_from, tz), _local_midnight(f.created_to, tz, days=1)
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    if until is not None:
        stmt = stmt.where(WorkOrder.created_at < until)
    if f.overdue:
        stmt = stmt.where(WorkOrder.status.in_(workorders.OPEN), WorkOrder.due_at < now)
    shown = {**asdict(f), "created_from": f.created_from if since else "", "created_to": f.created_to if until else ""}
    return stmt, shown


def _scoped(staff: StaffUser) -> Select[WorkOrder]:
    base = select(WorkOrder)
    if staff.role != "admin":
        base = base.where(WorkOrder.community_id == staff.community_id)
    return base


@router.get("/work-orders")
async def work_orders(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                      status: str = "", category: str = "", overdue: str = "", assignee: str = "", mine: str = "",
                      created_from: str = "", created_to: str = "") -> Response:
    """Work orders of the staff member's community, filtered by status, category, overdue, assignee (or the
    signed-in staff member's own) and date; the same list downloads as an Excel file."""
    base = _scoped(staff)
    categories = sorted(set((await session.execute(base.with_only_columns(WorkOrder.category))).scalars()))
    assignees = sorted({a for a in (await session.execute(base.with_only_columns(WorkOrder.assignee))).scalars()
                        if a})
    now = runtime.services.clock()
    f = Filters(status, category, overdue, assignee, mine, created_from, created_to)
    stmt, shown = _filtered(base.order_by(WorkOrder.id.desc()).limit(300), f, staff, _tz(runtime, staff), now)
    orders = list((await session.execute(stmt)).scalars())
    rows = [{"order": o, "overdue": workorders.is_overdue(o, now)} for o in orders]
    rows.sort(key=lambda r: not r["overdue"])
    return render(request, "work_orders.html", runtime, staff, rows=rows,  # type: ignore[no-any-return]
                  statuses=workorders.STATUSES, categories=categories, assignees=assignees,
                  unassigned=UNASSIGNED, mine_names=sorted(mine_names(staff)), filters=shown)


EXPORT_HEADINGS = ("工单号", "提交时间", "类别", "状态", "紧急", "是否超期", "承办", "受理时限", "办结时限",
                   "办结时间", "诉求内容", "地点", "联系电话")
EXPORT_LIMIT = 5000


@router.post("/work-orders/export")
async def export_work_orders(runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                             status: Annotated[str, Form(max_length=16)] = "",
                             category: Annotated[str, Form(max_length=16)] = "",
                             overdue: Annotated[str, Form(max_length=4)] = "",
                             assignee: Annotated[str, Form(max_length=200)] = "",
                             mine: Annotated[str, Form(max_length=4)] = "",
                             created_from: Annotated[str, Form(max_length=10)] = "",
                             created_to: Annotated[str, Form(max_length=10)] = "",
                             full_phone: Annotated[str, Form(max_length=4)] = "") -> Response:
    """The filtered list as an Excel file. Phones, and numbers inside the text, are masked unless staff tick
    含完整电话 to call residents from the sheet; every export is audited with that choice and its filters."""
    tz = _tz(runtime, staff)
    now = runtime.services.clock()
    f = Filters(status, category, overdue, assignee, mine, created_from, created_to)
    stmt, shown = _filtered(_scoped(staff).order_by(WorkOrder.id.desc()).limit(EXPORT_LIMIT), f, staff, tz, now)
    orders = list((await session.execute(stmt)).scalars())
    full = bool(full_phone)
    text = (lambda v: v or "") if full else (lambda v: mask_personal_data(v or ""))
    rows = [(o.number, local_time(o.created_at, tz, "%Y-%m-%d %H:%M"), o.category, o.status,
             "是" if o.urgent else "", "已超期" if workorders.is_overdue(o, now) else "", o.assignee or "",
             local_time(o.ack_due_at, tz, "%Y-%m-%d %H:%M"), local_time(o.due_at, tz, "%Y-%m-%d %H:%M"),
             local_time(o.closed_at, tz, "%Y-%m-%d %H:%M"), text(o.description), text(o.location),
             (o.contact_phone or "") if full else mask_phone(o.contact_phone or ""))
            for o in orders]
    audit(session, staff, "export", "work_orders", len(orders), full_phone=full,
          filters={k: v for k, v in shown.items() if v})
    day = runtime.services.clock().astimezone(tz).date().isoformat()
    content = workbook_bytes("工单", EXPORT_HEADINGS, rows, wide=("诉求内容", "地点"))
    return download(content, f"工单-{day}.xlsx", f"work-orders-{day}.xlsx")


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
                  overdue=workorders.is_overdue(order),
                  next_statuses=workorders.TRANSITIONS[WorkOrderStatus(order.status)],
                  finished=order.status in workorders.CLOSED, **extra)


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
        await staff_actions.change_work_order_status(session, order, staff, status, note.strip(),
                                                     rating_buttons=rating_buttons)
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
        why = (f"工单已是“{order.status}”，请先把状态改回“处理中”再分派。" if order.status in workorders.CLOSED
               else f"请填写承办部门或人员（不超过 {work_order_assign.MAX_ASSIGNEE} 个字）。")
        return _detail(request, runtime, staff, order, status_code=422, assign_error=why, assignee_typed=assignee)
    return RedirectResponse(f"/console/work-orders/{order.number}", status_code=303)
