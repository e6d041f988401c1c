"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that queues updates and records every call.

python-telegram-bot talks to it through `base_url` exactly as it talks to api.telegram.org, so the
tests exercise the real request code, error mapping and long polling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import TEST_NOW, LiveServer

BOT_ID = 7000001
BOT_USERNAME = "linli_test_bot"
TOKEN = "7000001:TEST-token"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "邻里",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Telegram stamps every message with its own clock; the bot never reads the stamp, so the suite's "now" will do.
MESSAGE_DATE = int(TEST_NOW.timestamp())
_JSON_PARAMS = {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters"}


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    failed: bool = False  # answered with an injected error: the chat never saw it

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class FakeBotApi:
    """The server's state: queued updates, recorded calls, failures to inject, files to serve."""

    calls: list[Call] = field(default_factory=list)
    updates: list[tuple[dict[str, Any], bool]] = field(default_factory=list)
    failures: dict[int, list[tuple[int, int | None]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    transcript: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # --- what tests do ---------------------------------------------------------------------------

    def next_update_id(self) -> int:
        """A fresh update id."""
        return next(self._ids)

    def push(self, update: dict[str, Any], *, redeliver: bool = False) -> None:
        """Queue an update for getUpdates; `redeliver` ignores the client's offset, as a retry would."""
        with self._lock:
            self.updates.append((update, redeliver))

    def fail(self, chat_id: int, code: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Make the next `times` sends to this chat fail with an HTTP error code."""
        with self._lock:
            self.failures.setdefault(chat_id, []).extend([(code, retry_after)] * times)

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Recorded calls of a method, to one chat or all."""
        with self._lock:
            return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def delivered(self, chat_id: int) -> list[str]:
        """Texts that reached a chat (sends that did not fail), in order."""
        with self._lock:
            return [c.params.get("text", "") for c in self.calls
                    if c.method == "sendMessage" and c.chat_id == chat_id and not c.failed]

    def methods(self) -> list[str]:
        """Names of all methods called so far, in order."""
        with self._lock:
            return [c.method for c in self.calls]

    # --- the HTTP side ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        """The ASGI app serving the Bot API, file downloads and a speech-to-text stand-in."""
        return Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
                Route("/stt", self._stt, methods=["POST"]),
            ]
        )

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            return dict(await request.json())
        form = await request.form()
        out: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, str) and key in _JSON_PARAMS:
                out[key] = json.loads(value)
            elif isinstance(value, str):
                out[key] = value
        return out

    async def _api(self, request: Request) -> Response:
        if request.path_params["token"] != TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        method = request.path_params["method"]
        params = await self._params(request)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        with self._lock:
            self.calls.append(Call(method, params))
            chat = int(params["chat_id"]) if "chat_id" in params else None
            failure = (
                self.failures.get(chat, []).pop(0) if chat in self.failures and self.failures[chat] else None
            )
        if failure is not None and method.startswith(("send", "edit")):
            self.calls[-1].failed = True
            code, retry_after = failure
            body: dict[str, Any] = {
                "ok": False,
                "error_code": code,
                "description": _DESCRIPTIONS.get(code, "Error"),
            }
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return JSONResponse(body, status_code=code)
        return _ok(self._result(method, params))

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            message = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": MESSAGE_DATE,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getFile":
            return {
                "file_id": params["file_id"],
                "file_unique_id": f"u{params['file_id']}",
                "file_size": len(self.files.get(params["file_id"], b"")),
                "file_path": params["file_id"],
            }
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.3)
        while True:
            with self._lock:
                # Handed out once; a redelivered update ignores the client's offset, as a retry would.
                ready = [u for u, redeliver in self.updates if redeliver or u["update_id"] >= offset]
                self.updates = []
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.01)

    async def _file(self, request: Request) -> Response:
        return Response(
            self.files.get(request.path_params["path"], b""), media_type="application/octet-stream"
        )

    async def _stt(self, request: Request) -> Response:
        await request.body()
        return JSONResponse({"text": self.transcript})

    def start(self) -> LiveServer:
        """Serve on a free port; sets `url`."""
        server = LiveServer(self.app())
        self.url = server.start()
        return server


_DESCRIPTIONS = {
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after 1",
    400: "Bad Request: message is not modified",
    502: "Bad Gateway",
}


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


# --- updates, shaped as Telegram sends them ---------------------------------------------------------


def user(user_id: int, name: str = "王秀兰") -> dict[str, Any]:
    """A resident's Telegram user."""
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "zh-hans"}


def message_update(
    update_id: int, user_id: int, *, chat_id: int | None = None, chat_type: str = "private", **content: Any
) -> dict[str, Any]:
    """A message update; `content` is text, location, photo, voice, sticker, caption, entities …"""
    chat = {"id": chat_id or user_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "幸福里小区居民群"
    message = {
        "message_id": update_id,
        "date": MESSAGE_DATE,
        "chat": chat,
        "from": user(user_id),
        **content,
    }
    if isinstance(content.get("text"), str) and content["text"].startswith("/"):
        command = content["text"].split()[0]
        message.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": len(command)}])
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, user_id: int, data: str, message: dict[str, Any]) -> dict[str, Any]:
    """A press on an inline button of a message the bot sent."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user(user_id),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": message,
        },
    }
