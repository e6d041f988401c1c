"""The staff API (JSON, bearer token): escalations and work orders of the staff member's community."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.api.deps import RuntimeDep, SessionDep, StaffDep
from bot.backend import escalations, workorders
from bot.backend.models import AuditLog, Escalation, Message, StaffUser, WorkOrder
from bot.backend.outbox import notify
from bot.backend.staff import authenticate, issue_token
from bot.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/staff")


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class StatusIn(BaseModel):
    status: str
    note: str = Field(default="", max_length=2000)


def audit(session: Any, staff: StaffUser, action: str, object_type: str, object_id: object, **detail: Any) -> None:
    """Record a staff action."""
    session.add(AuditLog(staff_id=staff.id, action=action, object_type=object_type, object_id=str(object_id),
                         detail=detail))


@router.post("/login")
async def login(body: LoginIn, session: SessionDep, runtime: RuntimeDep) -> dict[str, str]:
    """Exchange a username and password for a bearer token."""
    user = await authenticate(session, body.username, body.password)
    if user is None:
        raise HTTPException(401, "用户名或密码错误")
    return {"token": await issue_token(session, user, runtime.settings.staff_token_hours)}


async def _last_message(session: Any, conversation_id: int) -> str:
    stmt = (select(Message.text).where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(Message.id.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none() or ""


def _esc_dict(esc: Escalation, last: str) -> dict[str, Any]:
    return {
        "id": esc.id,
        "conversation_id": esc.conversation_id,
        "community": esc.community.code,
        "reason": esc.reason,
        "urgent": esc.urgent,
        "status": esc.status,
        "created_at": esc.created_at.isoformat(),
        "last_message": last,
    }


async def _get(session: Any, staff: StaffUser, escalation_id: int) -> Escalation:
    try:
        return await escalations.get_for_staff(session, staff, escalation_id)
    except NotFound as exc:
        raise HTTPException(404, "escalation not found") from exc


@router.get("/escalations")
async def list_escalations(session: SessionDep, staff: StaffDep, all: bool = False) -> list[dict[str, Any]]:
    """Open escalations of the staff member's community (every community for administrators)."""
    items = await escalations.list_for_staff(session, staff, open_only=not all)
    return [_esc_dict(e, await _last_message(session, e.conversation_id)) for e in items]


@router.get("/escalations/{escalation_id}")
async def get_escalation(escalation_id: int, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """One escalation with its transcript and what the assistant understood of each message."""
    esc = await _get(session, staff, escalation_id)
    stmt = select(Message).where(Message.conversation_id == esc.conversation_id).order_by(Message.id)
    transcript = [
        {"id": m.id, "sender": m.sender, "text": m.text, "created_at": m.created_at.isoformat(),
         "intent": m.intent, "confidence": m.confidence,
         "entities": (m.parse or {}).get("entities", []) if m.parse else []}
        for m in (await session.execute(stmt)).scalars()
    ]
    return {**_esc_dict(esc, await _last_message(session, esc.conversation_id)), "messages": transcript}


@router.post("/escalations/{escalation_id}/reply")
async def reply(escalation_id: int, body: TextIn, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Answer the resident; delivered through the conversation's channel."""
    esc = await _get(session, staff, escalation_id)
    escalations.claim(esc, staff)
    message = await notify(session, esc.conversation, body.text, kind="staff_reply", sender="staff",
                           staff_id=staff.id)
    audit(session, staff, "reply", "escalation", esc.id)
    return {"ok": True, "message_id": message.id if message else None, "status": esc.status}


@router.post("/escalations/{escalation_id}/release")
async def release(escalation_id: int, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Hand the conversation back to the assistant."""
    esc = await _get(session, staff, escalation_id)
    was_paused = esc.conversation.status == "handoff"
    escalations.release(esc, esc.conversation)
    if was_paused:
        await notify(session, esc.conversation, "工作人员已结束人工服务。后面有需要，直接跟我说就行。",
                     kind="status")
    audit(session, staff, "release", "escalation", esc.id)
    return {"ok": True, "status": esc.status}


@router.post("/work-orders/{number}/status")
async def change_work_order_status(number: str, body: StatusIn, session: SessionDep, staff: StaffDep) -> dict[str, Any]:
    """Move a work order on; the resident is told, and asked for a rating once it is done."""
    order = await workorders.get_by_number(session, number)
    if order is None or (staff.role != "admin" and order.community_id != staff.community_id):
        raise HTTPException(404, "work order not found")
    try:
        await workorders.change_status(session, order, body.status, note=body.note, actor=staff.username)
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from exc
    audit(session, staff, "status", "work_order", order.number, status=body.status)
    if order.conversation_id is not None:
        from actions.rating import rating_buttons
        from bot.backend.models import Conversation

        conv = await session.get(Conversation, order.conversation_id)
        if conv is not None:
            note = f"：{body.note}" if body.note else ""
            await notify(session, conv, f"您的工单{order.number}状态更新为“{order.status}”{note}。", kind="status")
            if order.status == "已办结":
                await notify(session, conv, f"工单{order.number}已办结，请您对这次处理打个分：", kind="rating_request",
                             buttons=rating_buttons(order.number))
    return {"number": order.number, "status": order.status,
            "overdue": workorders.is_overdue(order, dt.datetime.now(dt.UTC))}


@router.get("/work-orders")
async def list_work_orders(session: SessionDep, staff: StaffDep, status: str | None = None) -> list[dict[str, Any]]:
    """Work orders of the staff member's community, newest first."""
    stmt = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(200)
    if staff.role != "admin":
        stmt = stmt.where(WorkOrder.community_id == staff.community_id)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    now = dt.datetime.now(dt.UTC)
    return [{"number": o.number, "category": o.category, "status": o.status, "description": o.description,
             "location": o.location, "due_at": o.due_at.isoformat(), "overdue": workorders.is_overdue(o, now)}
            for o in (await session.execute(stmt)).scalars()]
