"""The escalations inbox and detail page: ordering, transcript, reply, claim, release, close, scoping."""

from __future__ import annotations

import json

import httpx

from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, seed_escalation
from tests.factories import make_staff


def _resident_messages(console: ConsoleServer, conv_id: int, token: str) -> list[dict[str, str]]:
    with httpx.Client(base_url=console.url) as client:
        r = client.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token})
        assert r.status_code == 200
        return r.json()  # type: ignore[no-any-return]


def test_inbox_shows_own_community_resident_before_follow_up_and_admin_sees_all(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village", password=pw)
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    plain = seed_escalation(console.database_url, "default", "我想问问低保的事")
    urgent = seed_escalation(console.database_url, "default", "我给差评，太慢了", reason="bad_rating")
    village = seed_escalation(console.database_url, "qinghe-village", "村里路灯不亮")

    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/").text
        assert "差评回访" in page and "居民要求转人工" in page and "已等" in page
        # A resident waiting for a person comes before a rating follow-up, which can wait without harm.
        assert page.index("我想问问低保的事") < page.index("我给差评，太慢了")
        assert "村里路灯不亮" not in page
        rows = zhang.get("/console/fragments/inbox")
        assert rows.status_code == 200 and "<html" not in rows.text
        assert f'data-id="{urgent.escalation_id}"' in rows.text and f'data-id="{plain.escalation_id}"' in rows.text
        assert "村里路灯不亮" not in rows.text
    with console_client(console.url, "li", pw) as li:
        assert "村里路灯不亮" in li.get("/console/fragments/inbox").text
        assert "我想问问低保的事" not in li.get("/console/").text
    with console_client(console.url, "boss", pw) as boss:
        text = boss.get("/console/fragments/inbox").text
        assert all(f'data-id="{s.escalation_id}"' in text for s in (plain, urgent, village))


def test_detail_shows_what_the_assistant_understood(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_escalation(console.database_url, "default", "帮我找个工作人员")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get(f"/console/escalations/{seeded.escalation_id}")
        assert page.status_code == 200
        for part in ("帮我找个工作人员", "要求转人工", "request_human", "置信度 93%", "service=elderly_allowance",
                     "回复居民", "接手", "交还助手", "结束并关闭"):
            assert part in page.text, part
        fragment = zhang.get(f"/console/fragments/escalations/{seeded.escalation_id}/transcript")
        assert fragment.status_code == 200 and "帮我找个工作人员" in fragment.text and "<html" not in fragment.text


def test_reply_reaches_the_resident_and_claims(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_escalation(console.database_url, "default")
    path = f"/console/escalations/{seeded.escalation_id}"
    with console_client(console.url, "zhang", pw) as zhang:
        r = zhang.post(f"{path}/reply", data={"text": "您好，我是社区小张。", "csrf": page_csrf(zhang, path)})
        assert r.status_code == 303 and r.headers["location"].startswith(path)
        assert "您好，我是社区小张。" in zhang.get(path).text
    sent = _resident_messages(console, seeded.conversation_id, seeded.token)
    assert [m["text"] for m in sent if m["sender"] == "staff"] == ["您好，我是社区小张。"]
    esc = db_rows(console.database_url, "SELECT status, assigned_staff_id FROM escalations")[0]
    assert esc.status == "处理中" and esc.assigned_staff_id is not None
    audit = db_rows(console.database_url, "SELECT action, object_type, object_id FROM audit_log ORDER BY id")
    assert [(a.action, a.object_type, a.object_id) for a in audit][1:] == [
        ("reply", "escalation", str(seeded.escalation_id))]


def test_claim_then_close_with_outcome_hands_back_to_the_assistant(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_escalation(console.database_url, "default")
    path = f"/console/escalations/{seeded.escalation_id}"
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, path)
        assert zhang.post(f"{path}/claim", data={"csrf": csrf}).status_code == 303
        assert db_rows(console.database_url, "SELECT status FROM escalations")[0].status == "处理中"
        r = zhang.post(f"{path}/close", data={"csrf": csrf, "outcome": "已解答", "note": "电话里说清楚了"})
        assert r.status_code == 303 and r.headers["location"] == "/console/"
        assert f'data-id="{seeded.escalation_id}"' not in zhang.get("/console/fragments/inbox").text
        assert "结束并关闭" not in zhang.get(path).text  # a closed escalation offers no actions
    esc = db_rows(console.database_url, "SELECT status, outcome FROM escalations")[0]
    assert esc.status == "已关闭" and esc.outcome == "已解答；电话里说清楚了"
    conv = db_rows(console.database_url, "SELECT status FROM conversations WHERE id = :i", i=seeded.conversation_id)
    assert conv[0].status == "bot"
    assert any("结束人工服务" in m["text"] for m in _resident_messages(console, seeded.conversation_id, seeded.token))
    audit = db_rows(console.database_url, "SELECT action, detail FROM audit_log ORDER BY id")
    assert [a.action for a in audit] == ["login", "claim", "close"]
    detail = audit[-1].detail
    assert (json.loads(detail) if isinstance(detail, str) else detail)["outcome"].startswith("已解答")


def test_release_hands_back_without_outcome(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_escalation(console.database_url, "default")
    path = f"/console/escalations/{seeded.escalation_id}"
    with console_client(console.url, "zhang", pw) as zhang:
        assert zhang.post(f"{path}/release", data={"csrf": page_csrf(zhang, path)}).status_code == 303
    assert db_rows(console.database_url, "SELECT status FROM escalations")[0].status == "已释放"
    assert [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")] == [
        "login", "release"]


def test_another_communitys_escalation_is_not_found_on_every_route(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    seeded = seed_escalation(console.database_url, "default", "只给幸福里看的消息")
    path = f"/console/escalations/{seeded.escalation_id}"
    with console_client(console.url, "li", pw) as li:
        csrf = page_csrf(li)
        for get in (path, f"/console/fragments/escalations/{seeded.escalation_id}/transcript"):
            r = li.get(get)
            assert r.status_code == 404 and "只给幸福里看的消息" not in r.text, get
        for action in ("reply", "claim", "release", "close"):
            r = li.post(f"{path}/{action}", data={"csrf": csrf, "text": "越权回复", "outcome": "已解答"})
            assert r.status_code == 404, action
        assert li.get("/console/escalations/999999").status_code == 404
    assert db_rows(console.database_url, "SELECT status FROM escalations")[0].status == "待处理"
    assert all(m["sender"] != "staff" for m in _resident_messages(console, seeded.conversation_id, seeded.token))
    assert [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")] == ["login"]
