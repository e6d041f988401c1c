"""Odd text gets a polite reply; malformed requests a clear 4xx; nothing is written twice or lost."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import db_rows
from tests.resident import Resident


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "🙏🙏",
        "\x00\x07\x1b[31m",
        "高" * 20_000,
        "<script>alert('x')</script>",
        "'; DROP TABLE messages; --",
        "Robert'); DELETE FROM work_orders;--",
        "hello can you help me 请问 低保 apply?",
        "ÅÄÖ ñ ü ß 𝕏𝕐",
        "{{7*7}} ${jndi:ldap://x}",
    ],
)
def test_odd_text_gets_a_polite_chinese_reply(live: httpx.Client, text: str) -> None:
    r = Resident(live)
    replies = r.say(text)
    assert replies, "every message gets an answer"
    assert all(rep["text"].strip() for rep in replies)
    assert "Traceback" not in r.text and "Error" not in r.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.text), "replies are in Chinese"


def test_the_server_keeps_serving_after_bad_input(live: httpx.Client) -> None:
    Resident(live).say("\x00" * 50)
    assert live.get("/health").json()["status"] == "ok"
    r = Resident(live)
    r.say("你好")
    assert "您好" in r.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"sender": "", "text": "hi"}',
        b'{"sender": "a", "text": "hi"}',
        b'{"sender": "a", "text": "hi", "channel": "Carrier Pigeon!"}',
        b'{"sender": "web-tZ5bq0HcV9kW2mXyR8jL4n", "text": 12}',
        b'{"sender": "web-tZ5bq0HcV9kW2mXyR8jL4n", "text": "hi", "community": "no-such-community"}',
        b'{"sender": "web-tZ5bq0HcV9kW2mXyR8jL4n", "text": "hi", "message_id": "a\u0000b"}',
    ],
)
def test_malformed_requests_get_a_clear_4xx(live: httpx.Client, body: bytes) -> None:
    r = live.post("/api/v1/messages", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert "detail" in r.json()


def test_a_retried_message_id_does_nothing_twice(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    r = Resident(live)
    first = r.say("楼道灯坏了", message_id="m-1")
    again = r.say("楼道灯坏了", message_id="m-1")
    assert first == again
    assert db_rows(settings.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]
    conv = r.last["conversation_id"]
    history = live.get(f"/api/v1/conversations/{conv}/messages", params={"token": r.last["conversation_token"]}).json()
    assert [m["text"] for m in history if m["sender"] == "resident"] == ["楼道灯坏了"]


def test_long_message_is_truncated_and_still_answered(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("请问高龄津贴要带什么材料" + "。" * 30_000)
    assert "前面" in r.text
    assert "材料" in r.text
