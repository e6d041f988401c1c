"""The staff API (JSON, bearer token): escalations and work orders of the staff member's community."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.rating import rating_buttons
from bot.api.deps import RowId, RuntimeDep, SessionDep, StaffDep, TicketNumber, get_session
from bot.backend import escalations, staff_actions, workorders
from bot.backend.login_throttle import open_login_throttle, storable
from bot.backend.models import Escalation, StaffUser, WorkOrder
from bot.backend.staff import authenticate, issue_token

router = APIRouter(prefix="/api/v1/staff")


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class StatusIn(BaseModel):
    status: str
    note: str = Field(default="", max_length=2000)


# Committed before the response leaves, so the next attempt (or the first use of the token) sees it.
LoginSessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.post("/login")
async def login(body: LoginIn, request: Request, session: LoginSessionDep, runtime: RuntimeDep,
                x_login_device: Annotated[str, Header(max_length=200)] = "") -> JSONResponse:
    """Exchange a username and password for a bearer token, slowed down after repeated failures.

    Refusals are returned rather than raised, so a failure's count and audit row commit with the request.
    The reply's device token, sent back as X-Login-Device, keeps this client signing in while strangers
    guess at the account (bot/backend/login_throttle.py).
    """
    ip = request.client.host if request.client else "unknown"
    name = storable(body.username)
    async with open_login_throttle(runtime.settings, session, runtime.services.clock) as throttle:
        attempt = await throttle.attempt(name, ip, x_login_device)
        if not attempt.allowed:
            wait = attempt.retry_after
            return JSONResponse({"detail": f"登录尝试次数过多，请 {wait} 秒后再试。"}, status_code=429,
                                headers={"Retry-After": str(wait)})
        user = await authenticate(session, name, body.password) if name == body.username else None
        if user is None:
            await throttle.failed(attempt)
            staff_actions.audit(session, None, "login_failed", "staff_user", name[:64], ip=ip)
            return JSONResponse({"detail": "用户名或密码错误"}, status_code=401)
        device = await throttle.succeeded(attempt)
    token = await issue_token(session, user, runtime.settings.staff_token_hours)
    staff_actions.audit(session, user, "login", "staff_user", user.id, ip=ip)
    return JSONResponse({"token": token, "device": device})


def _esc_dict(esc: Escalation, last: str) -> dict[str, Any]:
    """An escalation as listed: the resident's last message with phone and ID numbers masked."""
    from bot.masking import mask_personal_data

    return {
        "id": esc.id,
        "conversation_id": esc.conversation_id,
        "community": esc.community.code,
        "reason": esc.reason,
        "urgent": esc.urgent,
        "status": esc.status,
        "created_at": esc.created_at.isoformat(),
        "last_message": mask_personal_data(last),
    }


async def _get(session: Any, staff: StaffUser, escalation_id: int) -> Escalation:
    return await escalations.get_for_staff(session, staff, escalation_id)


@router.get("/escalations")
async def list_escalations(session: SessionDep, staff: StaffDep, all: bool = False) -> list[dict[str, Any]]:
    """Open escalations of the staff member's community (every community for administrators)."""
    items = await escalations.list_for_staff(session, staff, open_only=not all)
    return [_esc_dict(e, await staff_actions.last_inbound_text(session, e.conversation_id)) for e in items]


@router.get("/escalations/{escalation_id}")
async def get_escalation(escalation_id: RowId, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """One escalation with its transcript and what the assistant understood of each message."""
    esc = await _get(session, staff, escalation_id)
    transcript = [
        {"id": m.id, "sender": m.sender, "text": m.text, "created_at": m.created_at.isoformat(),
         "intent": m.intent, "confidence": m.confidence, "entities": m.entities}
        for m in await staff_actions.transcript(session, esc.conversation_id)
    ]
    last = await staff_actions.last_inbound_text(session, esc.conversation_id)
    return {**_esc_dict(esc, last), "messages": transcript}


@router.post("/escalations/{escalation_id}/reply")
async def reply(escalation_id: RowId, body: TextIn, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Answer the resident; delivered through the conversation's channel."""
    esc = await _get(session, staff, escalation_id)
    message = await staff_actions.reply(session, esc, staff, body.text)
    return {"ok": True, "message_id": message.id if message else None, "status": esc.status}


@router.post("/escalations/{escalation_id}/release")
async def release(escalation_id: RowId, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Hand the conversation back to the assistant."""
    esc = await _get(session, staff, escalation_id)
    await staff_actions.hand_back(session, esc, staff)
    return {"ok": True, "status": esc.status}


@router.post("/work-orders/{number}/status")
async def change_work_order_status(number: TicketNumber, body: StatusIn, session: SessionDep,
                                   staff: StaffDep) -> dict[str, Any]:
    """Move a work order on; the resident is told, and asked for a rating once it is done."""
    order = await staff_actions.visible_work_order(session, staff, number)
    await staff_actions.change_work_order_status(session, order, staff, body.status, body.note,
                                                 rating_buttons=rating_buttons)
    return {"number": order.number, "status": order.status,
            "overdue": workorders.is_overdue(order, dt.datetime.now(dt.UTC))}


@router.get("/work-orders")
async def list_work_orders(session: SessionDep, staff: StaffDep, status: str | None = None) -> list[dict[str, Any]]:
    """Work orders of the staff member's community, newest first; numbers in their text masked."""
    from bot.masking import mask_personal_data

    stmt = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(200)
    if staff.role != "admin":
        stmt = stmt.where(WorkOrder.community_id == staff.community_id)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    now = dt.datetime.now(dt.UTC)
    return [{"number": o.number, "category": o.category, "status": o.status,
             "description": mask_personal_data(o.description), "location": mask_personal_data(o.location or "") or None,
             "due_at": o.due_at.isoformat(), "overdue": workorders.is_overdue(o, now)}
            for o in (await session.execute(stmt)).scalars()]
