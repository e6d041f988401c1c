"""Messages to a resident that do not answer a message of theirs: staff replies, status changes,
reminders and rating requests. They are stored in the conversation and, for push channels such as
Telegram, queued in the outbox that a sender drains; web clients fetch them by polling."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Conversation, Message, Outbox, utcnow

PUSH_CHANNELS = {"telegram", "wecom", "wechat"}


async def notify(
    session: AsyncSession,
    conversation: Conversation,
    text: str,
    *,
    kind: str,
    buttons: list[dict[str, str]] | None = None,
    sender: str = "bot",
    staff_id: int | None = None,
    due_at: dt.datetime | None = None,
    notice_id: int | None = None,
) -> Message | None:
    """Tell the resident something now (or at `due_at`): kept in the transcript, pushed where possible."""
    message = None
    if due_at is None or due_at <= utcnow():
        message = Message(conversation_id=conversation.id, direction="out", sender=sender, text=text,
                          buttons=buttons or [], staff_id=staff_id)
        session.add(message)
    if conversation.channel in PUSH_CHANNELS or due_at is not None:
        session.add(Outbox(conversation_id=conversation.id, channel=conversation.channel, kind=kind, text=text,
                           buttons=buttons or [], due_at=due_at or utcnow(), notice_id=notice_id))
    await session.flush()
    return message


async def queue_unsent(session: AsyncSession, conversation_id: int, channel: str, texts_and_buttons: list[
        tuple[str, list[dict[str, str]]]], error: str) -> None:
    """Queue replies a channel could not send at once (already in the transcript), to be pushed later."""
    for text, buttons in texts_and_buttons:
        session.add(Outbox(conversation_id=conversation_id, channel=channel, kind="reply", text=text,
                           buttons=buttons, due_at=utcnow(), last_error=error[:500]))
    await session.flush()


async def claim_due(session: AsyncSession, channel: str, *, now: dt.datetime, lease: dt.timedelta,
                    limit: int = 50) -> list[Outbox]:
    """Claim the channel's pending rows whose time has come, oldest first, for one sender alone.

    One UPDATE … RETURNING moves each claimed row's due time `lease` ahead, so no other sender sees it
    due until the lease runs out (a sender that dies mid-send leaves its rows to be claimed again later).
    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so concurrent senders take different
    rows instead of waiting on each other; SQLite runs the statement under its single write lock.
    """
    due = (select(Outbox.id).where(Outbox.channel == channel, Outbox.status == "pending", Outbox.due_at <= now)
           .order_by(Outbox.due_at, Outbox.id).limit(limit).with_for_update(skip_locked=True))
    stmt = (update(Outbox).where(Outbox.id.in_(due.scalar_subquery()), Outbox.status == "pending")
            .values(due_at=now + lease).returning(Outbox).execution_options(synchronize_session=False))
    rows = list((await session.execute(stmt)).scalars())
    return sorted(rows, key=lambda r: r.id)


def mark_sent(row: Outbox) -> None:
    """Record a successful delivery."""
    row.status = "sent"
    row.sent_at = utcnow()


def mark_failed(row: Outbox, error: str, *, retry_in: dt.timedelta | None, final: bool = False) -> None:
    """Record a failed delivery; retry later unless final."""
    row.attempts += 1
    row.last_error = error[:500]
    if final or retry_in is None:
        row.status = "failed"
    else:
        row.due_at = utcnow() + retry_in


def as_dict(message: Message) -> dict[str, Any]:
    """The REST shape of a stored message."""
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": message.buttons or [],
        "created_at": message.created_at.isoformat(),
    }
