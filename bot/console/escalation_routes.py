"""The escalations inbox and one escalation: transcript, reply, claim, release, close."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import RuntimeDep
from bot.backend import escalations, staff_actions
from bot.backend.models import Conversation, Escalation, Message, Outbox, Resident, StaffUser
from bot.backend.resident_profile import resident_profile
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, revealed, visible

router = APIRouter(prefix="/console")


def is_emergency(esc: Escalation) -> bool:
    """Only a danger to someone is marked 紧急 and sounds the alert; the rest are ranked by `urgency`."""
    return esc.reason == "emergency"


async def _inbox(session: AsyncSession, staff: StaffUser, *, mine: bool = False) -> list[dict[str, Any]]:
    items = await escalations.list_for_staff(session, staff, mine=mine)
    names = await _resident_names(session, [e.conversation_id for e in items])
    return [{"esc": e, "urgent": is_emergency(e), "urgency": escalations.urgency(e.reason),
             "resident": names.get(e.conversation_id),
             "last": await staff_actions.last_inbound_text(session, e.conversation_id)} for e in items]


async def _resident_names(session: AsyncSession, conversation_ids: list[int]) -> dict[int, str]:
    """The residents' names (as they gave them) behind these conversations, where known."""
    if not conversation_ids:
        return {}
    stmt = (select(Conversation.id, Resident.display_name).join(Resident, Conversation.resident_id == Resident.id)
            .where(Conversation.id.in_(conversation_ids), Resident.display_name.is_not(None)))
    return {cid: name for cid, name in (await session.execute(stmt)).all() if name}


async def _get(session: AsyncSession, staff: StaffUser, escalation_id: int) -> Escalation:
    return await visible(escalations.get_for_staff(session, staff, escalation_id), "这条转人工记录")


async def _undelivered(session: AsyncSession, conversation_id: int) -> dict[str, str]:
    """Why messages to the resident could not be pushed (WeChat's closed 48-hour window…), by their text."""
    stmt = select(Outbox.text, Outbox.last_error).where(
        Outbox.conversation_id == conversation_id, Outbox.status != "sent", Outbox.last_error.is_not(None))
    return {text: error for text, error in (await session.execute(stmt)).all() if error}


@router.get("/")
async def inbox(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                mine: bool = False) -> Response:
    """Open escalations, most urgent first, refreshed in place by the page's polling; `mine`: taken by me."""
    return render(request, "inbox.html", runtime, staff, mine=mine,  # type: ignore[no-any-return]
                  rows=await _inbox(session, staff, mine=mine))


@router.get("/fragments/inbox")
async def inbox_rows(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                     mine: bool = False) -> Response:
    """Just the inbox rows, polled every few seconds so new escalations appear without reloading."""
    return render(request, "_inbox_rows.html", runtime, staff, mine=mine,  # type: ignore[no-any-return]
                  rows=await _inbox(session, staff, mine=mine))


@router.get("/escalations/{escalation_id}")
async def detail(escalation_id: int, request: Request, runtime: RuntimeDep, session: SessionDep,
                 staff: StaffDep) -> Response:
    """One escalation: who, why, the transcript with what the assistant understood, and the actions."""
    esc = await _get(session, staff, escalation_id)
    lines = await staff_actions.transcript(session, esc.conversation_id)
    profile = await resident_profile(session, esc.conversation.resident_id, now=runtime.services.clock())
    return render(request, "escalation.html", runtime, staff, esc=esc, urgent=is_emergency(esc),  # type: ignore[no-any-return]
                  lines=lines, open=esc.status in escalations.OPEN_STATUSES, profile=profile,
                  names={s.id: s.name for s in runtime.catalog},
                  undelivered=await _undelivered(session, esc.conversation_id))


@router.post("/escalations/{escalation_id}/resident/reveal")
async def reveal_resident(escalation_id: int, runtime: RuntimeDep, session: SessionDep,
                          staff: CheckedStaffDep) -> Response:
    """The resident's phone number in full, for the worker who must call them (audited)."""
    esc = await _get(session, staff, escalation_id)
    profile = await resident_profile(session, esc.conversation.resident_id, now=runtime.services.clock())
    if profile is None:
        raise ConsoleError(404, "没有找到这位居民。")
    return revealed(session, staff, "resident", profile.resident.id, phone=profile.phone)


@router.get("/fragments/escalations/{escalation_id}/transcript")
async def transcript_fragment(escalation_id: int, request: Request, runtime: RuntimeDep, session: SessionDep,
                              staff: StaffDep) -> Response:
    """The transcript alone, polled so the resident's new messages show up while staff type."""
    esc = await _get(session, staff, escalation_id)
    lines = await staff_actions.transcript(session, esc.conversation_id)
    return render(request, "_transcript.html", runtime, staff, lines=lines, esc_id=esc.id,  # type: ignore[no-any-return]
                  undelivered=await _undelivered(session, esc.conversation_id))


@router.post("/escalations/{escalation_id}/messages/{message_id}/reveal")
async def reveal_message(escalation_id: int, message_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """One message of the transcript unmasked, for staff who must call the number in it (audited)."""
    esc = await _get(session, staff, escalation_id)
    stmt = select(Message.text).where(Message.id == message_id, Message.conversation_id == esc.conversation_id)
    text = (await session.execute(stmt)).scalar_one_or_none()
    if text is None:
        raise ConsoleError(404, "没有找到这条消息，或它不属于您的社区。")
    return revealed(session, staff, "message", message_id, text=text)


def _back(esc: Escalation, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/console/escalations/{esc.id}{anchor}", status_code=303)


@router.post("/escalations/{escalation_id}/reply")
async def reply(escalation_id: int, session: SessionDep, staff: CheckedStaffDep,
                text: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """Answer the resident through their own channel."""
    esc = await _get(session, staff, escalation_id)
    if text.strip():
        await staff_actions.reply(session, esc, staff, text.strip())
    return _back(esc, "#reply")


@router.post("/escalations/{escalation_id}/claim")
async def claim(escalation_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Take the escalation on."""
    esc = await _get(session, staff, escalation_id)
    staff_actions.claim(session, esc, staff)
    return _back(esc)


@router.post("/escalations/{escalation_id}/release")
async def release(escalation_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Hand the conversation back to the assistant without an outcome."""
    esc = await _get(session, staff, escalation_id)
    if esc.status in escalations.OPEN_STATUSES:
        await staff_actions.hand_back(session, esc, staff)
    return RedirectResponse("/console/", status_code=303)


@router.post("/escalations/{escalation_id}/close")
async def close(escalation_id: int, session: SessionDep, staff: CheckedStaffDep,
                outcome: Annotated[str, Form(max_length=64)] = "",
                note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """End the escalation with an outcome; the assistant answers again."""
    esc = await _get(session, staff, escalation_id)
    result = "；".join(p for p in (outcome.strip(), note.strip()) if p) or "已处理"
    if esc.status in escalations.OPEN_STATUSES:
        await staff_actions.hand_back(session, esc, staff, outcome=result)
    return RedirectResponse("/console/", status_code=303)
