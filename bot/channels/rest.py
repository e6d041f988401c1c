"""The REST channel: web chat, voice front ends and WeChat/WeCom bridges all post here.

Who may speak for whom (see SECURITY.md):
- web and app clients name themselves with a secret sender id they generated (at least 120 random bits)
  or one this endpoint issues; nobody else knows it, so nobody else can speak as them;
- every other channel is a keyed bridge (`linli bridge add`), which vouches for its residents with
  `Authorization: Bearer KEY`; a key works for its own channel, and its own community when it has one;
- Telegram (and later WeChat) identities arrive only through their own signed webhooks, never here.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from bot.api.deps import RuntimeDep, SessionDep
from bot.api.limits import client_address, enforce, limit_address
from bot.backend.bridges import CHANNEL_NAME, NOT_OVER_REST, SECRET_SENDER_CHANNELS, bridge_for_key
from bot.backend.models import MAX_ROW_ID, Bridge, Message
from bot.backend.outbox import as_dict
from bot.backend.rate_limits import RateLimits
from bot.backend.residents import conversation_by_token
from bot.bootstrap import Runtime
from bot.dialogue.domain import Button, Reply
from bot.dialogue.engine import InboundMessage
from bot.dialogue.text import clean
from bot.errors import InvalidInput
from bot.nlu.rasa_shape import rasa_parse

log = logging.getLogger(__name__)
router = APIRouter()
MIN_SECRET_BITS = 120
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
_HEX = re.compile(r"[0-9a-fA-F-]+")
# Far above any real message; the engine truncates long ones politely, this only stops abuse.
MAX_TEXT = 100_000
MAX_METADATA_CHARS = 4000


def secret_sender_bits(sender: str, channel: str) -> int:
    """The random bits a client-generated sender id can hold: a UUID's hex digits count 4 bits each,
    URL-safe characters 6; ids of one repeated pattern count for nothing.

    Written out rather than estimated by a library: the rule is the one SECURITY.md states, no more.
    """
    token = sender.removeprefix(f"{channel}-")
    if not _URLSAFE.fullmatch(token) or len(set(token)) < 8:
        return 0
    if _HEX.fullmatch(token):
        return 4 * sum(ch != "-" for ch in token)
    return 6 * len(token)


def _printable(value: str, what: str) -> str:
    """Identifiers carry no control characters (a NUL breaks PostgreSQL) and no lone surrogates."""
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError(f"{what} may not contain control characters")
    return value


def _plain(value: Any, depth: int = 0) -> Any:
    """Metadata as plain JSON without control characters, lone surrogates or deep nesting."""
    if depth > 4:
        raise ValueError("metadata is nested too deeply")
    if isinstance(value, str):
        return "".join(ch for ch in value if ord(ch) >= 32 and not 0xD800 <= ord(ch) <= 0xDFFF)
    if isinstance(value, dict):
        return {_plain(str(k), depth + 1): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    return value


class MessageIn(BaseModel):
    """A resident's message."""

    sender: str | None = Field(default=None, min_length=1, max_length=128)
    text: str = Field(default="", max_length=MAX_TEXT)
    channel: str = "web"
    message_id: str | None = Field(default=None, min_length=1, max_length=128)
    community: str | None = Field(default=None, min_length=1, max_length=64)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if v in NOT_OVER_REST:
            raise ValueError(f"the {v} channel has its own endpoint and is not accepted here")
        if not CHANNEL_NAME.fullmatch(v):
            raise ValueError("channel must be a short lower-case name such as web, app or voice")
        return v

    @field_validator("sender", "message_id", "community")
    @classmethod
    def _identifier(cls, v: str | None) -> str | None:
        return None if v is None else _printable(v, "identifiers")

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, v: dict[str, Any]) -> dict[str, Any]:
        cleaned = _plain(v)
        if len(repr(cleaned)) > MAX_METADATA_CHARS:
            raise ValueError("metadata is too large")
        return cleaned  # type: ignore[no-any-return]


class ButtonOut(BaseModel):
    title: str
    payload: str


class ReplyOut(BaseModel):
    text: str
    buttons: list[ButtonOut]
    speech: str | None = None


class TurnOut(BaseModel):
    conversation_id: int
    conversation_token: str
    replies: list[ReplyOut]
    # Only when this endpoint chose the sender: the client keeps it secret and sends it from now on.
    sender: str | None = None


def _rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits  # type: ignore[no-any-return]


async def _bridge(runtime: Runtime, authorization: str | None) -> Bridge | None:
    """The live bridge whose key came with the request, checked in a short transaction of its own."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    key = authorization[7:].strip()
    async with runtime.sessionmaker() as session, session.begin():
        bridge = await bridge_for_key(session, key, runtime.services.clock())
        if bridge is not None:
            session.expunge(bridge)
        return bridge


async def _speaker(body: MessageIn, runtime: Runtime, request: Request,
                   authorization: str | None) -> tuple[InboundMessage, str | None]:
    """Who this message is from (and the sender id issued, if any), refused with 401, 403 or 422 when
    the caller may not speak for them, 429 when they speak too fast."""
    limits = _rate_limits(request)
    settings = runtime.settings
    issued = None
    if body.channel in SECRET_SENDER_CHANNELS:
        await enforce(limits, "address", client_address(request), settings.rate_limit_address_per_minute)
        if body.sender is None:
            issued = body.sender = f"{body.channel}-{secrets.token_urlsafe(24)}"
        elif secret_sender_bits(body.sender, body.channel) < MIN_SECRET_BITS:
            raise HTTPException(422, "sender must be a secret of at least 120 random bits (a UUID4, or 22 or more "
                                     "random URL-safe characters); leave it out to be given one")
        community, locked = body.community, False
    else:
        bridge = await _bridge(runtime, authorization)
        if bridge is None:
            raise HTTPException(401, f"the {body.channel} channel needs a bridge key",
                                headers={"WWW-Authenticate": "Bearer"})
        if bridge.channel != body.channel:
            raise HTTPException(403, "this key is for another channel")
        if bridge.community_code and body.community not in (None, bridge.community_code):
            raise HTTPException(403, "this key is for another community")
        if body.sender is None:
            raise HTTPException(422, "a bridge names the resident it speaks for in sender")
        community, locked = body.community or bridge.community_code, bridge.community_code is not None
    await enforce(limits, "sender", f"{body.channel}:{body.sender}", settings.rate_limit_per_minute)
    msg = InboundMessage(sender=body.sender, text=body.text, channel=body.channel, message_id=body.message_id,
                         community=community, metadata=body.metadata, community_locked=locked)
    return msg, issued


@router.post("/api/v1/messages", response_model=TurnOut, response_model_exclude_none=True)
async def post_message(body: MessageIn, runtime: RuntimeDep, request: Request,
                       authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Answer a resident's message."""
    msg, issued = await _speaker(body, runtime, request, authorization)
    try:
        result = await runtime.dialogue.handle(msg)
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from exc
    out = result.as_dict()
    if issued:
        out["sender"] = issued
    return out


@router.get("/api/v1/conversations/{conversation_id}/messages", dependencies=[Depends(limit_address)])
async def get_messages(
    conversation_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str, Query(min_length=8, max_length=128)],
    after: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Messages of a conversation after a message id; readable only with the conversation's token.

    A voice front end fetches what was pushed later (staff replies, status changes, reminders, rating
    requests) here too, so each message to the resident carries speech, its choices read out. It is
    made here, at the channel's edge: the backend that stores those messages knows nothing of speech.
    """
    conv = await conversation_by_token(session, conversation_id, token)
    if conv is None:
        raise HTTPException(404, "conversation not found")
    stmt = (select(Message).where(Message.conversation_id == conversation_id, Message.id > min(after, MAX_ROW_ID))
            .order_by(Message.id).limit(200))
    out = []
    for m in (await session.execute(stmt)).scalars():
        shown = as_dict(m)
        if conv.channel == "voice" and m.direction == "out":
            buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in m.buttons or []]
            shown["speech"] = m.speech or runtime.dialogue.speak(Reply(m.text, buttons))
        out.append(shown)
    return out


class ParseIn(BaseModel):
    text: str = Field(default="", max_length=MAX_TEXT)
    message_id: str | None = Field(default=None, max_length=128)


@router.post("/model/parse", dependencies=[Depends(limit_address)])
async def model_parse(body: ParseIn, runtime: RuntimeDep) -> dict[str, Any]:
    """Rasa-compatible parse, so tools written for Rasa can call Linli."""
    return rasa_parse(runtime.dialogue.parse(clean(body.text, runtime.settings.max_message_chars).text))
