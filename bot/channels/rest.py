"""The REST channel: web chat, voice front ends and WeChat/WeCom bridges all post here."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from bot.api.deps import RuntimeDep, SessionDep
from bot.backend.models import Conversation, Message
from bot.backend.outbox import as_dict
from bot.dialogue.domain import Button, Reply
from bot.dialogue.engine import InboundMessage
from bot.errors import InvalidInput

log = logging.getLogger(__name__)
router = APIRouter()
CHANNELS = ("web", "voice", "wecom", "wechat", "app", "sms", "telegram")
# Far above any real message; the engine truncates long ones politely, this only stops abuse.
MAX_TEXT = 100_000


class MessageIn(BaseModel):
    """A resident's message."""

    sender: str = Field(min_length=1, max_length=128)
    text: str = Field(default="", max_length=MAX_TEXT)
    channel: str = "web"
    message_id: str | None = Field(default=None, max_length=128)
    community: str | None = Field(default=None, max_length=64)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, v: str) -> str:
        if v not in CHANNELS:
            raise ValueError(f"unknown channel; use one of {', '.join(CHANNELS)}")
        return v


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


@router.post("/api/v1/messages", response_model=TurnOut, response_model_exclude_none=True)
async def post_message(body: MessageIn, runtime: RuntimeDep) -> dict[str, Any]:
    """Answer a resident's message."""
    msg = InboundMessage(sender=body.sender, text=body.text, channel=body.channel, message_id=body.message_id,
                         community=body.community, metadata=body.metadata)
    try:
        result = await runtime.dialogue.handle(msg)
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from exc
    return result.as_dict()


@router.get("/api/v1/conversations/{conversation_id}/messages")
async def get_messages(
    conversation_id: int,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str, Query(min_length=8)],
    after: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Messages of a conversation after a message id; readable only with the conversation's token.

    A voice front end fetches what was pushed later (staff replies, status changes, reminders, rating
    requests) here too, so each message to the resident carries speech, its choices read out. It is
    made here, at the channel's edge: the backend that stores those messages knows nothing of speech.
    """
    conv = await session.get(Conversation, conversation_id)
    if conv is None or not secrets.compare_digest(conv.token, token):
        raise HTTPException(404, "conversation not found")
    stmt = (select(Message).where(Message.conversation_id == conversation_id, Message.id > after)
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
    message_id: str | None = None


@router.post("/model/parse")
async def model_parse(body: ParseIn, runtime: RuntimeDep) -> dict[str, Any]:
    """Rasa-compatible parse, so tools written for Rasa can call Linli."""
    text = body.text[: runtime.settings.max_message_chars]
    return dict(runtime.dialogue.parse(text))
