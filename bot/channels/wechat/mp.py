"""The Official Account (公众号): `GET /wechat/mp` proves the server, `POST /wechat/mp` brings messages.

Every request is signed with WECHAT_MP_TOKEN (`signature`); in safe mode (WECHAT_MP_AES_KEY set and
`encrypt_type=aes`) the body is also encrypted and signed (`msg_signature`). wechatpy checks both; a bad
signature is refused with 403 and logged without the body, XML that does not parse gets 400.

WeChat waits five seconds for the answer and shows one passive reply per message, so a turn's replies are
joined into one text; what does not fit (2048 bytes) or a turn slower than `PASSIVE_SECONDS` goes out
through the outbox (the customer-service API, see `push.py`). WeChat retries a message it got no answer
for three times with the same MsgId: the engine answers a repeat with the replies it gave the first time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bot.backend import outbox, residents
from bot.bootstrap import Runtime
from bot.channels.wechat.common import client_address
from bot.channels.wechat.split import split_text
from bot.channels.wechat.texts import text
from bot.dialogue.engine import InboundMessage, TurnResult

log = logging.getLogger(__name__)
CHANNEL = "wechat"
# WeChat gives up after five seconds; answering "success" a little before keeps it from retrying.
PASSIVE_SECONDS = 4.5
MAX_BODY = 64 * 1024


class OfficialAccount:
    """The Official Account's callback: checks, turns through the engine, passive replies."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        assert settings.wechat_mp_token is not None
        self.runtime = runtime
        self.token = settings.wechat_mp_token.get_secret_value()
        aes = settings.wechat_mp_aes_key.get_secret_value() if settings.wechat_mp_aes_key else ""
        self.crypto = WeChatCrypto(self.token, aes, settings.wechat_mp_app_id) if aes else None
        self._late: set[asyncio.Task[None]] = set()

    def router(self) -> APIRouter:
        """The two routes of the callback."""
        router = APIRouter()
        router.add_api_route("/wechat/mp", self.verify, methods=["GET"], include_in_schema=False)
        router.add_api_route("/wechat/mp", self.receive, methods=["POST"], include_in_schema=False)
        return router

    async def verify(self, request: Request) -> Response:
        """WeChat's server check when the URL is saved in the admin console: echo `echostr` if signed."""
        q = request.query_params
        try:
            check_signature(self.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            log.warning("wechat mp: verification with a bad signature from %s refused", client_address(request))
            return Response(status_code=403)
        return Response(q.get("echostr", ""), media_type="text/plain")

    async def receive(self, request: Request) -> Response:
        """One message or event; answered with a passive reply (XML), or "success" for nothing to say."""
        q = request.query_params
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        body = await request.body()
        try:
            check_signature(self.token, q.get("signature", ""), timestamp, nonce)
        except InvalidSignatureException:
            log.warning("wechat mp: message with a bad signature from %s refused", client_address(request))
            return Response(status_code=403)
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        encrypted = q.get("encrypt_type") == "aes"
        if encrypted and self.crypto is None:
            log.warning("wechat mp: an encrypted message came but WECHAT_MP_AES_KEY is not set")
            return Response(status_code=400)
        try:
            xml = self.crypto.decrypt_message(body, q.get("msg_signature", ""), timestamp, nonce) \
                if encrypted and self.crypto is not None else body
        except InvalidSignatureException:
            log.warning("wechat mp: message with a bad msg_signature from %s refused", client_address(request))
            return Response(status_code=403)
        except Exception:
            return Response(status_code=400)  # not XML, no Encrypt, not decryptable with our key
        try:
            message = parse_message(xml)
            if message is None or not message.source:
                return Response(status_code=400)
        except Exception:
            return Response(status_code=400)
        said = await self.answer(message)
        if not said:
            return Response("success", media_type="text/plain")
        reply = create_reply(said, message, render=True)
        if encrypted and self.crypto is not None:
            reply = self.crypto.encrypt_message(reply, nonce, timestamp)
        return Response(reply, media_type="application/xml")

    async def answer(self, message: BaseMessage) -> str | None:
        """What to say back to one message or event (None: nothing now)."""
        kind = message.type
        if kind == "text":
            return await self.converse(message, message.content or "")
        if kind == "voice":
            heard = (message.recognition or "").strip()
            if not heard:
                return text("voice_unheard")
            # WeChat's own speech recognition: the resident speaks, as on the voice channel (elderly mode).
            return await self.converse(message, heard, {"elderly": True, "voice": True})
        if kind == "image":
            media = str(message.media_id or message.image or "")
            return await self.converse(message, text("photo_default"), {"photo": media})
        if kind == "location":
            try:
                loc = f"{float(message.location_x):.6f},{float(message.location_y):.6f}"
            except (TypeError, ValueError):
                return text("other_content")
            place = f"{message.label}（{loc}）" if message.label else loc
            return await self.converse(message, text("location_text", location=place), {"location": loc})
        if kind == "event":
            return await self.on_event(message)
        return text("other_content")

    async def on_event(self, event: Any) -> str | None:
        """Following brings the welcome with the main choices; a menu click is what its key says."""
        name = event.event
        if name in ("subscribe", "subscribe_scan"):
            return await self.converse(event, "/greet")
        if name == "click" and event.key:
            return await self.converse(event, str(event.key))
        if name == "unsubscribe":
            await self._unfollowed(event.source)
        return None

    async def converse(self, message: BaseMessage, body: str, metadata: dict[str, Any] | None = None) -> str | None:
        """One turn; its replies joined for the passive reply, what does not fit pushed after it."""
        sender = message.source
        meta = dict(metadata or {})
        inbound = InboundMessage(sender=sender, text=body, channel=CHANNEL, message_id=_message_id(message),
                                 chat_id=sender, metadata=meta)
        turn = asyncio.ensure_future(self.runtime.dialogue.handle(inbound))
        done, _ = await asyncio.wait({turn}, timeout=PASSIVE_SECONDS)
        if not done:
            # Too slow for the passive reply: say nothing now, push the replies once the turn is done.
            task = asyncio.create_task(self._push_late(turn, sender))
            self._late.add(task)
            task.add_done_callback(self._late.discard)
            return None
        result = turn.result()
        joined = "\n\n".join(r.text.strip() for r in result.replies if r.text.strip())
        if not joined:
            return None
        first, *rest = split_text(joined)
        if rest and not result.duplicate:
            await self._queue(result, rest, "reply too long for one message")
        return first

    async def _push_late(self, turn: asyncio.Future[TurnResult], sender: str) -> None:
        result = await turn
        if not result.duplicate:
            parts = [p for r in result.replies for p in split_text(r.text) if p.strip()]
            await self._queue(result, parts, "turn slower than the passive reply window")

    async def _queue(self, result: TurnResult, parts: list[str], why: str) -> None:
        # The choices are already written into the text: the rows carry no buttons to write out again.
        async with self.runtime.sessionmaker() as session, session.begin():
            await outbox.queue_unsent(session, result.conversation_id, CHANNEL, [(p, []) for p in parts], why)

    async def _unfollowed(self, openid: str) -> None:
        """An unfollowed account cannot be written to: stop pushing until the resident follows again."""
        async with self.runtime.sessionmaker() as session, session.begin():
            identity = await residents.find_identity(session, CHANNEL, openid)
            if identity is not None:
                identity.active = False

    async def drain(self) -> None:
        """Wait for the turns still being answered late (tests; shutting down)."""
        while self._late:
            await asyncio.gather(*list(self._late), return_exceptions=True)


def _message_id(message: BaseMessage) -> str:
    """MsgId for messages; events have none, and WeChat tells their retries by sender and CreateTime."""
    if message.id:
        return str(message.id)
    raw = getattr(message, "_data", {}) or {}
    return f"event:{raw.get('CreateTime', '')}:{raw.get('Event', '')}"

