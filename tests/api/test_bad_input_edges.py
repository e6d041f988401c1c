"""Inputs that once broke the server, each pinned down (most were found by tests/api/test_fuzz.py).

Every test runs on SQLite and on PostgreSQL, where most of these failed: PostgreSQL refuses a NUL in a
text value and a number past its 32-bit integer columns, and each refusal became a 500, a turn handed to
staff with 抱歉，系统出了点问题, or a connection dropped in the middle of a stream.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.channels.fake_bot_api import TOKEN, FakeBotApi, message_update
from tests.conftest import FixedClock, _base_settings, db_rows, make_live
from tests.factories import make_staff
from tests.resident import Resident

HANDED_OVER = "系统出了点问题"  # the engine's reply when a turn crashed and went to staff
PAST_INT4 = 2**31  # one past PostgreSQL's INTEGER, the type of every id column
HOOK_SECRET = "Tg7hK2mQ9xLr4Vw8Nz3Pb6Yc1Fd5Js0A"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _settle_after_5xx(response: httpx.Response) -> None:
    """After a 5xx, wait for the server to finish with the request before the test fails on it.

    uvicorn logs a 500's traceback after the answer has left, and Python 3.11 formats tracebacks with
    ast.parse, whose state all threads share: pytest formatting the failure at that moment ended the run
    with an INTERNALERROR ("AST constructor recursion depth mismatch"). The server's one event loop answers
    /health only once that logging, which has nothing to await, is done.
    """
    if response.status_code >= 500:
        try:
            httpx.get(str(response.request.url.copy_with(path="/health", query=None)), timeout=5)
        except httpx.HTTPError:
            pass


@pytest.fixture
def live_edge(live_any: httpx.Client) -> httpx.Client:
    """The live server on SQLite and PostgreSQL, its client settling after each 5xx."""
    live_any.event_hooks["response"].append(_settle_after_5xx)
    return live_any


def _post(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    """POST a message written as escaped JSON, so a NUL travels as \\u0000 just as a browser sends it."""
    return client.post("/api/v1/messages", content=json.dumps(body, ensure_ascii=True),
                       headers={"Content-Type": "application/json"})


def _sender() -> str:
    return f"web-{uuid.uuid4()}"


def _said(response: httpx.Response) -> str:
    return " ".join(r["text"] for r in response.json()["replies"])


def _first_events(client: httpx.Client, url: str, headers: dict[bytes, bytes] | None = None) -> tuple[int, str]:
    """The status and the first events of an event stream, read for at most a quiet second, then closed."""
    body = b""
    with client.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=1)) as response:
        try:
            for chunk in response.iter_raw():
                body += chunk
                if body.count(b"\n\n") >= 2:
                    break
        except httpx.ReadTimeout:
            pass
        return response.status_code, body.decode("utf-8", "replace")


# --- the REST channel -----------------------------------------------------------------------------------------


def test_a_nul_in_an_identifier_is_refused_and_the_connection_keeps_serving(live_edge: httpx.Client) -> None:
    """A NUL in sender, message_id or community (PostgreSQL: a 500, then the next request on the connection
    was reset) is a 422, nothing is stored, and the same keep-alive connection answers the next resident."""
    url = live_edge.database_url  # type: ignore[attr-defined]
    for field, value in (("sender", _sender() + "\x00"), ("message_id", "m-\x00-1"), ("community", "default\x00")):
        body = {"sender": _sender(), "text": "你好", "channel": "web", field: value}
        refused = _post(live_edge, body)
        assert refused.status_code == 422, f"{field}: {refused.status_code} {refused.text}"
        answered = _post(live_edge, {"sender": _sender(), "text": "你好", "channel": "web"})
        assert answered.status_code == 200, f"after a NUL in {field}: {answered.text}"
        assert "您好" in _said(answered)
    assert db_rows(url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(3,)]
    assert db_rows(url, "SELECT count(*) FROM escalations") == [(0,)]


# Button payloads a resident can type by hand, with values no button sends.
ODD_PAYLOADS = [
    '/rate_service{"rating":"abc"}',
    '/book_service{"service_id": [1]}',
    '/rate_service{"rating": Infinity}',
    '/rate_service{"rating": 1e999}',
    '/rate_service{"rating": 99999999999999999999999999}',
    '/rate_service{"ticket_id": "GD\\u0000"}',
    '/check_status{"ticket_id": "YY\\u0000"}',
    '/inform{"slot_id": "abc"}',
    '/inform{"people": "many"}',
]


def test_button_payloads_with_values_no_button_sends_never_crash_a_turn(live_edge: httpx.Client) -> None:
    """/rate_service{"rating":"abc"} crashed the turn: the resident was told 系统出了点问题 and an escalation
    was opened for staff. Each payload here gets an ordinary answer, and staff get no error escalation."""
    for text in ODD_PAYLOADS:
        r = _post(live_edge, {"sender": _sender(), "text": text, "channel": "web"})
        assert r.status_code == 200, f"{text}: {r.text}"
        assert r.json()["replies"] and HANDED_OVER not in _said(r), f"{text} crashed the turn: {_said(r)}"
    url = live_edge.database_url  # type: ignore[attr-defined]
    assert db_rows(url, "SELECT count(*) FROM escalations WHERE reason = 'error'") == [(0,)]


def test_conversation_ids_and_positions_past_the_integer_columns_are_not_found(live_edge: httpx.Client) -> None:
    """An id or `after` past PostgreSQL's INTEGER (2**31) was a 500 for anyone (a made-up conversation id
    needs no token), and broke the event stream midway; now a 404, or nothing after that position."""
    r = Resident(live_edge)
    r.say("你好")
    conv, token = r.last["conversation_id"], r.last["conversation_token"]
    for kind in ("messages", "events"):
        missing = live_edge.get(f"/api/v1/conversations/{PAST_INT4}/{kind}", params={"token": token})
        assert missing.status_code == 404, f"{kind}: {missing.status_code} {missing.text}"
    later = live_edge.get(f"/api/v1/conversations/{conv}/messages", params={"token": token, "after": PAST_INT4})
    assert later.status_code == 200 and later.json() == [], later.text
    status, stream = _first_events(live_edge, f"/api/v1/conversations/{conv}/events?token={token}&after={PAST_INT4}")
    assert status == 200 and "event: message" not in stream, stream


@pytest.mark.parametrize("last_event_id", ["²", "9" * 32, str(PAST_INT4)])
def test_a_last_event_id_that_is_no_message_id_does_not_break_the_stream(live_edge: httpx.Client,
                                                                         last_event_id: str) -> None:
    """Last-Event-ID ² passed isdigit() and failed int() (a 500); 32 nines, or 2**31, failed in the database
    once the stream had started. A browser only sends ids it was given: anything else resumes from nothing."""
    r = Resident(live_edge)
    r.say("你好")
    url = f"/api/v1/conversations/{r.last['conversation_id']}/events?token={r.last['conversation_token']}"
    status, stream = _first_events(live_edge, url, {b"Last-Event-ID": last_event_id.encode("latin-1")})
    assert status in (200, 422), f"{status}: {stream[:300]}"
    assert "服务器开小差" not in stream


# --- the staff API ----------------------------------------------------------------------------------------------


def test_staff_lookups_by_ids_past_the_integer_columns_are_not_found(live_edge: httpx.Client) -> None:
    """A signed-in GET /api/v1/staff/escalations/2147483648 (or 2**63, or a huge negative id) was a 500 on
    both databases; an id that cannot exist is simply not found."""
    url = live_edge.database_url  # type: ignore[attr-defined]
    password = make_staff(url, "edge-staff", "default")
    token = live_edge.post("/api/v1/staff/login", json={"username": "edge-staff", "password": password})
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['token']}"}
    for bad in (PAST_INT4, 2**63, -(10**30)):
        for method, path, body in (("GET", f"/api/v1/staff/escalations/{bad}", None),
                                   ("POST", f"/api/v1/staff/escalations/{bad}/reply", {"text": "您好"}),
                                   ("POST", f"/api/v1/staff/escalations/{bad}/release", None),
                                   ("POST", f"/api/v1/staff/slots/{bad}/close", None),
                                   ("POST", f"/api/v1/staff/slots/{bad}/open", None)):
            r = live_edge.request(method, path, json=body, headers=auth)
            assert r.status_code in (404, 422), f"{method} {path}: {r.status_code} {r.text}"


# --- the Telegram webhook ----------------------------------------------------------------------------------------


@pytest.fixture
def webhook(any_database_url: str, model_dir: Path, nlu: Any, retriever: Any,
            clock: FixedClock) -> Iterator[tuple[httpx.Client, FakeBotApi]]:
    """A live server with the Telegram webhook (against a fake Bot API), on SQLite and on PostgreSQL."""
    fake = FakeBotApi()
    fake_server = fake.start()
    settings = _base_settings(database_url=any_database_url, model_dir=model_dir,
                              telegram_bot_token=SecretStr(TOKEN), telegram_api_base_url=f"{fake.url}/bot",
                              telegram_api_file_url=f"{fake.url}/file/bot",
                              telegram_webhook_secret=SecretStr(HOOK_SECRET),
                              telegram_webhook_url="https://linli.example/telegram/webhook")
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    with httpx.Client(base_url=server.url, timeout=30, headers={SECRET_HEADER: HOOK_SECRET},
                      event_hooks={"response": [_settle_after_5xx]}) as client:
        yield client, fake
    server.stop()
    fake_server.stop()


def test_a_webhook_body_that_is_no_update_is_refused_and_the_next_update_answered(
    webhook: tuple[httpx.Client, FakeBotApi],
) -> None:
    """JSON that is not an object (an array, a number, a string), nested deeper than the parser goes, or an
    update whose date no clock can hold: each was a 500, which Telegram retries for a day. Now a 4xx (or,
    for the date, the update answered or dropped), nothing is sent, and a real update is answered after."""
    client, fake = webhook
    bodies = [b"[]", b"[1, 2]", b"0", b'"update"', b"null", b"true", b'{"update_id": "x"}',
              b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000]
    for body in bodies:
        r = client.post("/telegram/webhook", content=body, headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, f"{body[:40]!r}: {r.status_code}"
    assert fake.sent() == []
    impossible = message_update(fake.next_update_id(), 515151, text="你好")
    impossible["message"]["date"] = 10**20
    assert client.post("/telegram/webhook", json=impossible).status_code < 500
    r = client.post("/telegram/webhook", json=message_update(fake.next_update_id(), 424242, text="/start"))
    assert r.status_code == 200
    [reply] = fake.sent(424242)
    assert "社区助手" in reply.params["text"]
