"""Messages of a conversation as Server-Sent Events, for the web chat page.

Every message of the conversation (answers, staff replies, status changes, reminders, rating requests)
is an event whose id is the message id, so a browser that reconnects sends `Last-Event-ID` and misses
nothing; one that reloads the page starts again from its stored conversation. The stream reads the
database, which every server process shares, so it works behind a load balancer with any number of
workers. It ends after a few minutes and the browser reconnects, so no connection is held forever.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from bot.api.deps import RuntimeDep
from bot.api.limits import limit_address
from bot.backend.models import MAX_ROW_ID, Message
from bot.backend.outbox import as_dict
from bot.backend.residents import conversation_by_token
from bot.bootstrap import Runtime

router = APIRouter()
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0


async def _conversation(runtime: Runtime, conversation_id: int, token: str) -> None:
    async with runtime.sessionmaker() as session:
        if await conversation_by_token(session, conversation_id, token) is None:
            raise HTTPException(404, "conversation not found")


async def _after(runtime: Runtime, conversation_id: int, after: int) -> list[dict[str, Any]]:
    async with runtime.sessionmaker() as session:
        stmt = (select(Message).where(Message.conversation_id == conversation_id, Message.id > after)
                .order_by(Message.id).limit(200))
        return [as_dict(m) for m in (await session.execute(stmt)).scalars()]


def _event(message: dict[str, Any]) -> str:
    return f"id: {message['id']}\nevent: message\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"


@router.get("/api/v1/conversations/{conversation_id}/events", dependencies=[Depends(limit_address)])
async def conversation_events(
    request: Request,
    runtime: RuntimeDep,
    conversation_id: int,
    token: Annotated[str, Query(min_length=8, max_length=128)],
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """The conversation's messages after `after` (or the Last-Event-ID a reconnecting browser sends)."""
    await _conversation(runtime, conversation_id, token)
    after = min(after, MAX_ROW_ID)
    if last_event_id and last_event_id.isascii() and last_event_id.isdigit():
        after = max(after, min(int(last_event_id), MAX_ROW_ID))

    async def stream() -> AsyncIterator[str]:
        nonlocal after
        loop = asyncio.get_running_loop()
        started = quiet_since = loop.time()
        yield "retry: 2000\n\n"
        while loop.time() - started < STREAM_SECONDS and not await request.is_disconnected():
            for message in await _after(runtime, conversation_id, after):
                after = message["id"]
                quiet_since = loop.time()
                yield _event(message)
            if loop.time() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = loop.time()
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
