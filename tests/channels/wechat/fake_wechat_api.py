"""A fake WeChat and WeCom API: a real HTTP server on 127.0.0.1 that hands out tokens and records calls.

wechatpy's clients talk to it through WECHAT_API_BASE_URL / WECOM_API_BASE_URL exactly as to the real hosts,
so the tests exercise the real request, token and error code paths. Only the newest token of each app is
accepted (as WeChat invalidates the old one on refresh); `expire_token` makes the next call fail with 42001.

WeCom customer service keeps its rules here as the real one does: `kf/send_msg` is refused unless the
session is new (0) or with the assistant (1) (95018), more than 5 messages since the customer's last message
are refused (95001), and so is sending when the customer has not written or their 48 hours are over
(95002, see `expire_window`). Entering the session counts as writing, as the welcome needs it (WeCom itself
answers that event through `kf/send_msg_on_event`). Session states move only as `TRANSITIONS` allows (95016);
a customer's message reopens an ended session as new. Refused calls are kept in `refused`.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import LiveServer

MP_APP_ID = "wx0123456789abcdef"
KF_MAX_SENDS = 5
# The session state moves WeCom allows: new (0), with the assistant (1), queued for the human agents (2), with
# an agent (3), ended (4). WeCom's table lists 2 -> 3 only; letting a waiting session be taken back (2 -> 1)
# and ended (2 -> 4) is this fake's assumption, and the channel copes with a refusal of either.
TRANSITIONS: dict[int, frozenset[int]] = {0: frozenset({1, 2, 3}), 1: frozenset({2, 3, 4}), 2: frozenset({1, 3, 4}),
                                          3: frozenset({3, 4}), 4: frozenset()}
MP_SECRET = "mp-app-secret-for-tests"
CORP_ID = "ww0123456789abcdef"
KF_SECRET = "kf-secret-for-tests"


@dataclass
class Call:
    """One API request as the fake received it."""

    endpoint: str
    body: dict[str, Any]
    token: str


@dataclass
class FakeWeChatApi:
    """The server's state: tokens issued, calls recorded, customer-service messages waiting to be synced."""

    calls: list[Call] = field(default_factory=list)
    token_fetches: dict[str, int] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)
    expired_once: set[str] = field(default_factory=set)
    kf_messages: list[dict[str, Any]] = field(default_factory=list)
    service_state: dict[str, int] = field(default_factory=dict)
    errors: dict[str, list[int]] = field(default_factory=dict)
    refused: list[Call] = field(default_factory=list)
    transitions: dict[int, frozenset[int]] = field(default_factory=lambda: dict(TRANSITIONS))
    kf_sends: dict[str, int] = field(default_factory=dict)  # send_msg since the customer last wrote
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # --- what tests do ---------------------------------------------------------------------------

    def expire_token(self, app: str) -> None:
        """The next call with the app's ("mp" or "kf") current token is refused as expired (42001)."""
        with self._lock:
            self.expired_once.add(app)

    def fail(self, endpoint: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls of an endpoint answer with an errcode."""
        with self._lock:
            self.errors.setdefault(endpoint, []).extend([errcode] * times)

    def add_kf_message(self, message: dict[str, Any]) -> None:
        """A message waiting in WeCom for `kf/sync_msg`; a customer's opens their 48 hours and 5 messages."""
        with self._lock:
            self.kf_messages.append(message)
            event = message.get("event") or {}
            if message.get("origin") == 3 or event.get("event_type") == "enter_session":
                key = f"{message.get('open_kfid') or event.get('open_kfid')}/" \
                      f"{message.get('external_userid') or event.get('external_userid')}"
                self.kf_sends[key] = 0
                if message.get("origin") == 3 and self.service_state.get(key, 4) == 4:
                    self.service_state[key] = 0

    def expire_window(self, open_kfid: str, user: str) -> None:
        """The customer's 48 hours are over: sending to them is refused (95002) until they write again."""
        with self._lock:
            self.kf_sends.pop(f"{open_kfid}/{user}", None)

    def state_of(self, open_kfid: str, user: str) -> int:
        """The session's state (4, ended or not started, for a customer who never wrote)."""
        with self._lock:
            return self.service_state.get(f"{open_kfid}/{user}", 4)

    def sent(self, endpoint: str) -> list[dict[str, Any]]:
        """Bodies of the successful calls of an endpoint, in order."""
        with self._lock:
            return [c.body for c in self.calls if c.endpoint == endpoint]

    # --- the HTTP side ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        """Both APIs under /cgi-bin/ (their token endpoints differ: `token` and `gettoken`)."""
        return Starlette(routes=[
            Route("/cgi-bin/token", self._mp_token, methods=["GET"]),
            Route("/cgi-bin/gettoken", self._kf_token, methods=["GET"]),
            Route("/cgi-bin/{endpoint:path}", self._api, methods=["GET", "POST"]),
        ])

    def _issue(self, app: str) -> JSONResponse:
        with self._lock:
            n = self.token_fetches.get(app, 0) + 1
            self.token_fetches[app] = n
            self.current[app] = f"{app}-token-{n}-{next(self._ids)}"
            return JSONResponse({"errcode": 0, "access_token": self.current[app], "expires_in": 7200})

    async def _mp_token(self, request: Request) -> Response:
        q = request.query_params
        if q.get("appid") != MP_APP_ID or q.get("secret") != MP_SECRET:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        return self._issue("mp")

    async def _kf_token(self, request: Request) -> Response:
        q = request.query_params
        if q.get("corpid") != CORP_ID or q.get("corpsecret") != KF_SECRET:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid secret"})
        return self._issue("kf")

    async def _api(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        token = request.query_params.get("access_token", "")
        raw = await request.body()
        body = json.loads(raw) if raw else {}
        app = "kf" if endpoint.startswith("kf/") else "mp"
        with self._lock:
            if token != self.current.get(app):
                return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
            if app in self.expired_once:
                self.expired_once.discard(app)
                self.current.pop(app, None)
                return JSONResponse({"errcode": 42001, "errmsg": "access_token expired"})
            queued = self.errors.get(endpoint)
            if queued:
                return JSONResponse({"errcode": queued.pop(0), "errmsg": "injected error"})
            refusal = self._kf_refusal(endpoint, body)
            if refusal is not None:
                self.refused.append(Call(endpoint, body, token))
                return JSONResponse({"errcode": refusal[0], "errmsg": refusal[1]})
            self.calls.append(Call(endpoint, body, token))
            return JSONResponse({"errcode": 0, "errmsg": "ok", **self._result(endpoint, body)})

    def _kf_refusal(self, endpoint: str, body: dict[str, Any]) -> tuple[int, str] | None:
        """WeCom's rules for sending and for session states (under the lock); the send is counted."""
        if endpoint == "kf/send_msg":
            key = f"{body.get('open_kfid')}/{body.get('touser')}"
            if self.service_state.get(key, 0) not in (0, 1):
                return 95018, "send msg session status invalid"
            if key not in self.kf_sends:
                return 95002, "send msg out of the 48 hours"
            if self.kf_sends[key] >= KF_MAX_SENDS:
                return 95001, "send msg count exceeds the limit"
            self.kf_sends[key] += 1
        if endpoint == "kf/service_state/trans":
            key = f"{body.get('open_kfid')}/{body.get('external_userid')}"
            if int(body["service_state"]) not in self.transitions[self.service_state.get(key, 0)]:
                return 95016, "service state change not allowed"
        return None

    def _result(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        if endpoint == "kf/sync_msg":
            start = int(body.get("cursor") or 0)
            batch = self.kf_messages[start:start + int(body.get("limit") or 1000)]
            return {"next_cursor": str(start + len(batch)), "has_more": 0, "msg_list": batch}
        key = f"{body.get('open_kfid')}/{body.get('external_userid')}"
        if endpoint == "kf/service_state/get":
            return {"service_state": self.service_state.get(key, 0), "servicer_userid": ""}
        if endpoint == "kf/service_state/trans":
            self.service_state[key] = int(body["service_state"])
            return {}
        if endpoint in ("kf/send_msg", "message/template/send"):
            return {"msgid": f"m{next(self._ids)}"}
        return {}

    def start(self) -> LiveServer:
        """Serve on a free port; sets `url`."""
        server = LiveServer(self.app())
        self.url = server.start()
        return server
