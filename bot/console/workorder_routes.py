"""Work orders (接诉即办) in the console: filtered list, one order's history, status changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from bot.api.deps import RuntimeDep
from bot.backend import staff_actions, workorders
from bot.backend.models import WorkOrder, utcnow
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render
from bot.errors import InvalidInput, NotFound

router = APIRouter(prefix="/console")
OPEN = ("待受理", "已受理", "处理中")


@router.get("/work-orders")
async def work_orders(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                      status: str = "", category: str = "", overdue: str = "") -> Response:
    """Work orders of the staff member's community, filtered by status, category and overdue."""
    base = select(WorkOrder)
    if staff.role != "admin":
        base = base.where(WorkOrder.community_id == staff.community_id)
    categories = sorted(set((await session.execute(base.with_only_columns(WorkOrder.category))).scalars()))
    stmt = base.order_by(WorkOrder.id.desc()).limit(300)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    if category:
        stmt = stmt.where(WorkOrder.category == category)
    now = utcnow()
    if overdue:
        stmt = stmt.where(WorkOrder.status.in_(OPEN), WorkOrder.due_at < now)
    orders = list((await session.execute(stmt)).scalars())
    rows = [{"order": o, "overdue": workorders.is_overdue(o, now)} for o in orders]
    rows.sort(key=lambda r: not r["overdue"])
    return render(request, "work_orders.html", runtime, staff, rows=rows,  # type: ignore[no-any-return]
                  statuses=workorders.STATUSES, categories=categories,
                  filters={"status": status, "category": category, "overdue": overdue})


async def _get(session: SessionDep, staff: StaffDep, number: str) -> WorkOrder:
    try:
        return await staff_actions.visible_work_order(session, staff, number)
    except NotFound as exc:
        raise ConsoleError(404, "没有找到这张工单，或它不属于您的社区。") from exc


@router.get("/work-orders/{number}")
async def work_order(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                     staff: StaffDep) -> Response:
    """One work order with its history and the moves it can make next."""
    order = await _get(session, staff, number)
    return render(request, "work_order.html", runtime, staff, order=order,  # type: ignore[no-any-return]
                  overdue=workorders.is_overdue(order), next_statuses=workorders.TRANSITIONS[order.status])


@router.post("/work-orders/{number}/status")
async def change_status(number: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                        staff: CheckedStaffDep, status: Annotated[str, Form(max_length=16)] = "",
                        note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Move the work order on; the resident is told (and asked for a rating once it is 已办结)."""
    order = await _get(session, staff, number)
    try:
        await staff_actions.change_work_order_status(session, order, staff, status, note.strip())
    except InvalidInput:
        return render(request, "work_order.html", runtime, staff, status_code=422, order=order,  # type: ignore[no-any-return]
                      overdue=workorders.is_overdue(order), next_statuses=workorders.TRANSITIONS[order.status],
                      error=f"不能从“{order.status}”改为“{status}”。")
    return RedirectResponse(f"/console/work-orders/{order.number}", status_code=303)
