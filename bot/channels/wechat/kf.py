"""WeCom customer service (微信客服): residents open it from a QR code or link in their personal WeChat.

WeCom does not post the messages themselves: its callback (`POST /wecom/kf`, encrypted and signed with
WECOM_KF_TOKEN / WECOM_KF_AES_KEY) only says "something new for open_kfid X", and the messages are read
with `kf/sync_msg` from a cursor. The cursor is kept in the database (`kf_sync_cursors`) and moved on only
after a batch is answered, and one process at a time reads an account (a PostgreSQL advisory lock per
open_kfid; on SQLite, one process, an asyncio lock): so no message is read twice or lost across restarts
and workers. A batch cut short by a crash is read again, and the engine answers a repeated msgid once.

Replies go out with `kf/send_msg`; a reply with buttons becomes a `msgmenu` whose items send the button's
payload back as `menu_id`. An escalated conversation is handed to the human agents' queue
(`kf/service_state/trans`, state 2), where staff pick it up in WeCom. Pushes (staff replies, status changes,
hand-backs) go through `KfPush` (bot.channels.wechat.kf_push), which keeps WeCom's send limits and session
states. wechatpy 1.8 has no 微信客服 API, so these endpoints are called through its WeCom client's generic
`post`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import requests
from fastapi import APIRouter, Request, Response
from sqlalchemy import text as sql
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException

from bot.backend import outbox
from bot.backend.leadership import lock_key
from bot.backend.models import KfSyncCursor
from bot.bootstrap import Runtime
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.common import client_address
from bot.channels.wechat.kf_push import QUEUED_FOR_HUMAN, STATE_UNCHANGED, WITH_HUMAN, KfPush, messages_of
from bot.channels.wechat.texts import text
from bot.dialogue.domain import Reply
from bot.dialogue.engine import InboundMessage
from bot.errors import ConfigurationError

log = logging.getLogger(__name__)
CHANNEL = "wecom"
MAX_BODY = 64 * 1024
ORIGIN_CUSTOMER, ORIGIN_EVENT = 3, 4


class CustomerService:
    """The callback, the synchronisation of messages, replies and pushes of one WeCom corp."""

    def __init__(self, runtime: Runtime, api: WeChatApi) -> None:
        settings = runtime.settings
        assert settings.wecom_kf_token is not None
        if settings.wecom_kf_aes_key is None or not settings.wecom_corp_id:
            raise ConfigurationError("WECOM_KF_TOKEN is set: WECOM_KF_AES_KEY and WECOM_CORP_ID are needed too")
        self.runtime = runtime
        self.api = api
        self.crypto = WeChatCrypto(settings.wecom_kf_token.get_secret_value(),
                                   settings.wecom_kf_aes_key.get_secret_value(), settings.wecom_corp_id)
        self.push = KfPush(runtime, api)
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the callback -----------------------------------------------------------------------------

    def router(self) -> APIRouter:
        """The two routes of the callback."""
        router = APIRouter()
        router.add_api_route("/wecom/kf", self.verify, methods=["GET"], include_in_schema=False)
        router.add_api_route("/wecom/kf", self.receive, methods=["POST"], include_in_schema=False)
        return router

    async def verify(self, request: Request) -> Response:
        """WeCom's URL check: the decrypted `echostr`, if signed."""
        q = request.query_params
        try:
            echo = self.crypto.check_signature(q.get("msg_signature", ""), q.get("timestamp", ""),
                                               q.get("nonce", ""), q.get("echostr", ""))
        except InvalidSignatureException:
            log.warning("wecom kf: verification with a bad signature from %s refused", client_address(request))
            return Response(status_code=403)
        except Exception:
            return Response(status_code=400)
        return Response(echo, media_type="text/plain")

    async def receive(self, request: Request) -> Response:
        """An event: new messages to read for an account. Answered at once; the reading runs after."""
        q = request.query_params
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(status_code=413)
        try:
            xml = self.crypto.decrypt_message(body, q.get("msg_signature", ""), q.get("timestamp", ""),
                                              q.get("nonce", ""))
        except InvalidSignatureException:
            log.warning("wecom kf: event with a bad signature from %s refused", client_address(request))
            return Response(status_code=403)
        except Exception:
            return Response(status_code=400)
        try:
            event = getattr(parse_message(xml), "_data", None) or {}
        except Exception:
            return Response(status_code=400)
        if event.get("Event") == "kf_msg_or_event" and event.get("OpenKfId"):
            self._spawn(str(event["OpenKfId"]), str(event.get("Token") or ""))
        return Response("success", media_type="text/plain")

    def _spawn(self, open_kfid: str, token: str) -> None:
        task = asyncio.create_task(self._sync_logged(open_kfid, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync_logged(self, open_kfid: str, token: str) -> None:
        try:
            await self.sync(open_kfid, token)
        except Exception:
            log.exception("wecom kf: reading messages of %s failed; the next event reads them", open_kfid)

    async def drain(self) -> None:
        """Wait until the readings started by callbacks are done (tests; shutting down)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- reading messages -------------------------------------------------------------------------

    async def sync(self, open_kfid: str, token: str = "") -> int:
        """Read and answer every new message of an account from the stored cursor; returns how many."""
        handled = 0
        async with self._claim(open_kfid):
            while True:
                cursor = await self._cursor(open_kfid)
                data: dict[str, Any] = {"cursor": cursor, "open_kfid": open_kfid, "limit": 1000}
                if token:
                    data["token"] = token
                result = await self.api.post("kf/sync_msg", data)
                for item in result.get("msg_list") or []:
                    try:
                        await self.handle(item)
                    except Exception:
                        log.exception("wecom kf: message %s not answered", item.get("msgid"))
                    handled += 1
                await self._save_cursor(open_kfid, str(result.get("next_cursor") or cursor))
                if not result.get("has_more"):
                    return handled

    @contextlib.asynccontextmanager
    async def _claim(self, open_kfid: str) -> AsyncIterator[None]:
        """This process alone reads the account until the block ends (others wait, then read on)."""
        lock = self._locks.setdefault(open_kfid, asyncio.Lock())
        async with lock:
            engine = self.runtime.db
            if engine.dialect.name != "postgresql":
                yield
                return
            key = lock_key(f"wecom-kf-sync:{open_kfid}")
            async with engine.connect() as conn:
                await conn.execute(sql("SELECT pg_advisory_lock(:k)"), {"k": key})
                await conn.commit()
                try:
                    yield
                finally:
                    await conn.execute(sql("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await conn.commit()

    async def _cursor(self, open_kfid: str) -> str:
        async with self.runtime.sessionmaker() as session:
            row = await session.get(KfSyncCursor, open_kfid)
            return row.cursor if row is not None else ""

    async def _save_cursor(self, open_kfid: str, cursor: str) -> None:
        async with self.runtime.sessionmaker() as session, session.begin():
            row = await session.get(KfSyncCursor, open_kfid)
            if row is None:
                session.add(KfSyncCursor(open_kfid=open_kfid, cursor=cursor))
            else:
                row.cursor = cursor

    # --- one message ------------------------------------------------------------------------------

    async def handle(self, item: dict[str, Any]) -> None:
        """One synced message: a customer's message or an event; staff's own messages are left alone."""
        origin = int(item.get("origin") or 0)
        open_kfid = str(item.get("open_kfid") or "")
        if origin == ORIGIN_EVENT:
            await self._event(open_kfid, item)
            return
        if origin != ORIGIN_CUSTOMER:
            return
        user, msgid, kind = str(item.get("external_userid") or ""), str(item.get("msgid") or ""), item.get("msgtype")
        if not user or not open_kfid:
            return
        if kind == "text":
            content = item.get("text") or {}
            menu_id = str(content.get("menu_id") or "")
            # A tapped menu item sends its title as text and its id: the id is the button's payload.
            body = menu_id if menu_id.startswith("/") else str(content.get("content") or "")
            await self.converse(open_kfid, user, msgid, body)
        elif kind == "image":
            media = str((item.get("image") or {}).get("media_id") or "")
            await self.converse(open_kfid, user, msgid, text("photo_default"), {"photo": media})
        elif kind == "location":
            loc_data = item.get("location") or {}
            loc = f"{float(loc_data.get('latitude', 0)):.6f},{float(loc_data.get('longitude', 0)):.6f}"
            name = str(loc_data.get("name") or loc_data.get("address") or "")
            place = f"{name}（{loc}）" if name else loc
            await self.converse(open_kfid, user, msgid, text("location_text", location=place), {"location": loc})
        elif kind == "voice":
            await self.send(open_kfid, user, [Reply(text("kf_voice"))])
        else:
            await self.send(open_kfid, user, [Reply(text("other_content"))])

    async def _event(self, open_kfid: str, item: dict[str, Any]) -> None:
        """A customer entering the session gets the welcome with the main choices."""
        event = item.get("event") or {}
        if event.get("event_type") != "enter_session":
            return
        user = str(event.get("external_userid") or "")
        kfid = str(event.get("open_kfid") or open_kfid)
        if user and kfid:
            await self.converse(kfid, user, f"enter:{item.get('msgid', '')}", "/greet")

    async def converse(self, open_kfid: str, user: str, msgid: str, body: str,
                       metadata: dict[str, Any] | None = None) -> None:
        """One turn, its replies sent (not again for a repeated msgid), and staff called in on a handoff."""
        meta = dict(metadata or {})
        result = await self.runtime.dialogue.handle(InboundMessage(
            sender=user, text=body, channel=CHANNEL, message_id=msgid or None, chat_id=open_kfid, metadata=meta))
        if result.duplicate:
            return
        sent: list[Reply] = []
        try:
            await self.send(open_kfid, user, result.replies, sent=sent)
        except (WeChatClientException, requests.RequestException) as exc:
            unsent = result.replies[len(sent):]
            log.warning("wecom kf: replies not sent (%s); %d queued in the outbox", exc, len(unsent))
            async with self.runtime.sessionmaker() as session, session.begin():
                await outbox.queue_unsent(session, result.conversation_id, CHANNEL,
                                          [(r.text, [b.as_dict() for b in r.buttons]) for r in unsent], str(exc))
        if result.handoff:
            await self.hand_over(open_kfid, user)

    async def hand_over(self, open_kfid: str, user: str) -> None:
        """Put the session in the human agents' queue, unless staff have it already."""
        state = await self.api.post("kf/service_state/get", {"open_kfid": open_kfid, "external_userid": user})
        if int(state.get("service_state") or 0) in (QUEUED_FOR_HUMAN, WITH_HUMAN):
            return
        try:
            await self.api.post("kf/service_state/trans", {"open_kfid": open_kfid, "external_userid": user,
                                                           "service_state": QUEUED_FOR_HUMAN})
        except WeChatClientException as exc:
            if exc.errcode != STATE_UNCHANGED:
                raise
        log.info("wecom kf: a conversation was handed to the human agents of %s", open_kfid)

    # --- sending ----------------------------------------------------------------------------------

    async def send(self, open_kfid: str, user: str, replies: Sequence[Reply], sent: list[Reply] | None = None) -> None:
        """Send replies with `kf/send_msg`: text in parts of at most 2048 bytes, buttons as a msgmenu."""
        done = sent if sent is not None else []
        for reply in replies:
            for message in messages_of(reply):
                await self.api.post("kf/send_msg", {"touser": user, "open_kfid": open_kfid, **message})
            done.append(reply)
