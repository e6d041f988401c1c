"""Handoff to staff: the right community only, replies delivered, release hands back."""

from __future__ import annotations

import httpx

from tests.factories import make_staff
from tests.resident import Resident


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/staff/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_handoff_reaches_only_the_right_community_and_staff_reply_is_delivered(live_any: httpx.Client) -> None:
    url = live_any.database_url  # type: ignore[attr-defined]
    pw = make_staff(url, "zhang", "default")
    make_staff(url, "li", "qinghe-village", password=pw)
    make_staff(url, "boss", None, role="admin", password=pw)

    r = Resident(live_any)
    r.say("我要转人工")
    assert "工作人员" in r.text
    conv_id, token = r.last["conversation_id"], r.last["conversation_token"]

    zhang, li, boss = login(live_any, "zhang", pw), login(live_any, "li", pw), login(live_any, "boss", pw)
    mine = live_any.get("/api/v1/staff/escalations", headers=zhang).json()
    assert [e["conversation_id"] for e in mine] == [conv_id]
    assert set(mine[0]) >= {"id", "conversation_id", "community", "reason", "status", "created_at", "last_message"}
    assert mine[0]["community"] == "default" and mine[0]["last_message"] == "我要转人工"
    esc_id = mine[0]["id"]
    assert live_any.get("/api/v1/staff/escalations", headers=li).json() == []
    assert live_any.get(f"/api/v1/staff/escalations/{esc_id}", headers=li).status_code == 404
    assert live_any.post(f"/api/v1/staff/escalations/{esc_id}/reply", headers=li, json={"text": "x"}).status_code == 404
    assert [e["id"] for e in live_any.get("/api/v1/staff/escalations", headers=boss).json()] == [esc_id]

    # While staff have it, the assistant stays quiet (it already said staff will reply).
    assert r.say("我家门口的垃圾三天没人收了") == []
    assert r.say("还有人吗") == []

    detail = live_any.get(f"/api/v1/staff/escalations/{esc_id}", headers=zhang).json()
    texts = [m["text"] for m in detail["messages"]]
    assert "我家门口的垃圾三天没人收了" in texts
    assert any(m["intent"] for m in detail["messages"] if m["sender"] == "resident")

    sent = live_any.post(f"/api/v1/staff/escalations/{esc_id}/reply", headers=zhang,
                         json={"text": "您好，我是社区小张，马上安排保洁处理。"})
    assert sent.status_code == 200
    fetched = live_any.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()
    assert any(m["sender"] == "staff" and "小张" in m["text"] for m in fetched)
    assert live_any.get(f"/api/v1/conversations/{conv_id}/messages",
                        params={"token": "wrong-token-123"}).status_code == 404

    assert live_any.post(f"/api/v1/staff/escalations/{esc_id}/release", headers=zhang).status_code == 200
    r.say("高龄津贴要带什么材料")
    assert "材料" in r.text
    assert live_any.get("/api/v1/staff/escalations", headers=zhang).json() == []


def test_staff_api_requires_a_valid_token(live: httpx.Client) -> None:
    assert live.get("/api/v1/staff/escalations").status_code == 401
    assert live.get("/api/v1/staff/escalations", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert live.post("/api/v1/staff/login", json={"username": "nobody", "password": "whatever1"}).status_code == 401
