"""Who may speak for whom over REST: secret senders, keyed bridges, no Telegram, dedupe per sender."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from bot.config import Settings
from tests.cli.test_commands import run as linli
from tests.conftest import FixedClock, add_bridge, db_rows, make_live
from tests.resident import Resident

SECRET = "web-Qm7vX2cL9tRb4NzKw8YpHd"


def post(client: httpx.Client, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/messages", json=body, headers=headers)


@pytest.mark.parametrize("channel", ["telegram", "wechat", "wecom"])
def test_signed_channel_residents_cannot_be_spoken_for_over_rest(live: httpx.Client, settings: Settings,
                                                                channel: str) -> None:
    r = post(live, {"sender": "123456789", "channel": channel, "text": "查一下我的预约", "message_id": "900"},
             key=live.bridge_keys["voice"])  # type: ignore[attr-defined]
    assert r.status_code == 422
    assert "conversation_token" not in r.text
    assert db_rows(settings.database_url, "SELECT count(*) FROM channel_identities") == [(0,)]
    assert db_rows(settings.database_url, "SELECT count(*) FROM processed_inbound") == [(0,)], \
        "nothing recorded that could later swallow the real Telegram update"


@pytest.mark.parametrize("sender", ["a", "alice", "web-12345678", "web-" + "a" * 40, "resident-0f3a9c2e",
                                    "web-0123456789abcdef0123"])
def test_guessable_web_senders_are_refused(live: httpx.Client, settings: Settings, sender: str) -> None:
    r = post(live, {"sender": sender, "text": "你好"})
    assert r.status_code == 422
    assert "120" in r.json()["detail"]
    assert db_rows(settings.database_url, "SELECT count(*) FROM messages") == [(0,)]


@pytest.mark.parametrize("sender", [str(uuid.uuid4()), "web-" + str(uuid.uuid4()), SECRET, "app-" + SECRET[4:]])
def test_secret_senders_are_accepted(live: httpx.Client, sender: str) -> None:
    channel = "app" if sender.startswith("app-") else "web"
    assert post(live, {"sender": sender, "channel": channel, "text": "你好"}).status_code == 200


def test_a_client_without_a_sender_is_given_a_secret_one_and_keeps_its_conversation(live: httpx.Client) -> None:
    first = post(live, {"text": "楼道灯坏了"}).json()
    sender = first["sender"]
    assert sender.startswith("web-") and len(sender) >= 26
    again = post(live, {"sender": sender, "text": "5号楼2单元"}).json()
    assert again["conversation_id"] == first["conversation_id"]
    assert "sender" not in again, "issued once; a client that chose its own is never sent one"
    other = post(live, {"text": "你好"}).json()
    assert other["sender"] != sender and other["conversation_id"] != first["conversation_id"]


def test_bridge_channels_need_their_own_key(live: httpx.Client, settings: Settings) -> None:
    body = {"sender": "caller-1", "channel": "voice", "text": "嗯那个高龄津贴要带什么材料"}
    assert post(live, body).status_code == 401
    assert post(live, body, key="lb_" + "x" * 43).status_code == 401
    assert post(live, body, key=live.bridge_keys["sms"]).status_code == 403, "an SMS key cannot speak as voice"  # type: ignore[attr-defined]
    assert post(live, {**body, "channel": "partner-app"}, key=live.bridge_keys["voice"]).status_code == 403  # type: ignore[attr-defined]
    ok = post(live, body, key=live.bridge_keys["voice"])  # type: ignore[attr-defined]
    assert ok.status_code == 200 and "身份证" in ok.text
    assert db_rows(settings.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]
    stored = db_rows(settings.database_url, "SELECT key_hash, key_prefix FROM bridges WHERE channel = 'voice'")
    key = live.bridge_keys["voice"]  # type: ignore[attr-defined]
    assert stored[0][0] != key and key not in stored[0][0] and key.startswith(stored[0][1])


def test_a_community_key_speaks_only_for_that_community(live: httpx.Client, settings: Settings) -> None:
    village = add_bridge(settings.database_url, "qinghe-voice", "voice", "qinghe-village")
    body = {"sender": "caller-2", "channel": "voice", "text": "你好"}
    assert post(live, {**body, "community": "default"}, key=village).status_code == 403
    r = post(live, body, key=village)
    assert r.status_code == 200
    assert db_rows(settings.database_url, "SELECT c.code FROM conversations v JOIN communities c "
                   "ON c.id = v.community_id WHERE v.id = :id", id=r.json()["conversation_id"]) == [("qinghe-village",)]
    # A resident of the default community, known to the shared voice bridge, is not the village key's to speak for.
    assert post(live, {"sender": "caller-3", "channel": "voice", "text": "你好"},
                key=live.bridge_keys["voice"]).status_code == 200  # type: ignore[attr-defined]
    r = post(live, {"sender": "caller-3", "channel": "voice", "text": "取消我的预约"}, key=village)
    assert r.status_code == 422
    assert db_rows(settings.database_url, "SELECT count(*) FROM messages WHERE text = '取消我的预约'") == [(0,)]


def test_message_ids_are_deduplicated_per_sender(live: httpx.Client, settings: Settings) -> None:
    alice, bob = Resident(live), Resident(live)
    first = alice.say("楼道灯坏了", message_id="m-1")
    alice_conv = alice.last["conversation_id"]
    bob.say("你好", message_id="m-1")
    assert bob.last["conversation_id"] != alice_conv, "Bob is not handed Alice's conversation"
    assert bob.last["conversation_token"] != alice.last["conversation_token"]
    assert "您好" in bob.text and bob.last["replies"] != first
    assert db_rows(settings.database_url, "SELECT text FROM messages WHERE direction = 'in' ORDER BY id") == [
        ("楼道灯坏了",), ("你好",)], "Bob's message is kept, not dropped as a duplicate"
    assert alice.say("楼道灯坏了", message_id="m-1") == first, "Alice's own retry is still answered once"


def test_each_sender_is_rate_limited_with_retry_after(settings: Settings, nlu: Any, retriever: Any,
                                                      clock: FixedClock) -> None:
    limited = settings.model_copy(update={"rate_limit_per_minute": 5, "rate_limit_address_per_minute": 12})
    server, _ = make_live(limited, nlu, retriever, clock=clock)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            codes = [post(client, {"sender": SECRET, "text": "你好"}).status_code for _ in range(7)]
            assert codes == [200] * 5 + [429] * 2
            r = post(client, {"sender": SECRET, "text": "你好"})
            assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
            assert "稍后" in r.json()["detail"]
            other = [post(client, {"sender": str(uuid.uuid4()), "text": "你好"}).status_code for _ in range(6)]
            assert other[:3] == [200] * 3 and other[-1] == 429, "the address has its own limit: 12 a minute"
            assert client.get("/api/v1/conversations/1/messages", params={"token": "x" * 32}).status_code == 429
            spoofed = client.post("/api/v1/messages", json={"sender": str(uuid.uuid4()), "text": "你好"},
                                  headers={"X-Forwarded-For": "203.0.113.9"})
            assert spoofed.status_code == 429, "an untrusted client cannot choose its own address"
    finally:
        server.stop()


def test_a_trusted_proxy_sets_the_address_and_scheme(settings: Settings, nlu: Any, retriever: Any,
                                                     clock: FixedClock) -> None:
    proxied = settings.model_copy(update={"rate_limit_address_per_minute": 2, "trusted_proxies": "127.0.0.1"})
    server, _ = make_live(proxied, nlu, retriever, clock=clock)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            def from_(ip: str) -> int:
                return client.post("/model/parse", json={"text": "你好"}, headers={"X-Forwarded-For": ip}).status_code

            assert [from_("198.51.100.1") for _ in range(3)] == [200, 200, 429]
            assert from_("198.51.100.2") == 200, "residents behind the proxy are told apart"
            page = client.get("/console/login", headers={"X-Forwarded-For": "198.51.100.3",
                                                         "X-Forwarded-Proto": "https"})
            assert "secure" in page.headers["set-cookie"].lower(), "cookies are Secure behind an https proxy"
            assert "max-age" in page.headers.get("strict-transport-security", "")
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/", "/console/login"])
def test_pages_cannot_be_framed_and_load_only_their_own_code(live: httpx.Client, path: str) -> None:
    r = live.get(path)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and "<style>" not in r.text, "no inline code for the policy to block"
    if path == "/console/login":
        assert "secure" not in r.headers["set-cookie"].lower(), "plain http: no Secure flag, or the cookie is lost"


def test_api_answers_are_not_sniffed(live: httpx.Client) -> None:
    assert live.get("/health").headers["x-content-type-options"] == "nosniff"


def test_bridge_keys_are_added_listed_and_revoked_from_the_command_line(
        live: httpx.Client, settings: Settings) -> None:
    added = linli(settings, "bridge", "add", "village-voice", "--channel", "voice", "--community", "qinghe-village")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip().splitlines()[-1]
    assert key.startswith("lb_") and len(key) >= 40
    body = {"sender": "caller-9", "channel": "voice", "text": "你好"}
    assert post(live, body, key=key).status_code == 200
    listed = linli(settings, "bridge", "list").stdout
    assert "village-voice" in listed and "qinghe-village" in listed and key not in listed and key[:10] in listed
    assert linli(settings, "bridge", "add", "x", "--channel", "telegram").returncode != 0
    assert linli(settings, "bridge", "add", "y", "--channel", "voice", "--community", "nowhere").returncode != 0
    assert linli(settings, "bridge", "revoke", "village-voice").returncode == 0
    assert post(live, body, key=key).status_code == 401, "a revoked key stops working at once"
    assert "已停用" in linli(settings, "bridge", "list").stdout
    assert linli(settings, "bridge", "revoke", "nobody").returncode != 0
