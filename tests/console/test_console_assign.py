"""Work-order assignment in the console: accepting by assigning, the resident told, list filters, scoping."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from bot.backend.models import utcnow
from tests.conftest import TZ, db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, seed_work_order
from tests.factories import make_staff


def _texts(console: ConsoleServer, conv_id: int) -> list[str]:
    token = db_rows(console.database_url, "SELECT token FROM conversations WHERE id = :i", i=conv_id)[0].token
    with httpx.Client(base_url=console.url) as client:
        got = client.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()
    return [str(m["text"]) for m in got]


def _order(console: ConsoleServer, number: str) -> tuple[str, str | None]:
    row = db_rows(console.database_url, "SELECT status, assignee FROM work_orders WHERE number = :n", n=number)[0]
    return row.status, row.assignee


def test_assigning_accepts_the_order_and_tells_the_resident(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    number, conv_id = seed_work_order(console.database_url, "default")
    path = f"/console/work-orders/{number}"
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get(path).text
        assert "未分派" in page and '<option value="物业服务中心">' in page and '<option value="街道城管科">' in page
        csrf = page_csrf(zhang, path)
        assert zhang.post(f"{path}/assign", data={"csrf": "0" * 64, "assignee": "网格员"}).status_code == 403
        assert _order(console, number) == ("待受理", None)
        empty = zhang.post(f"{path}/assign", data={"csrf": csrf, "assignee": "   "})
        assert empty.status_code == 422 and "请填写承办部门或人员" in empty.text
        r = zhang.post(f"{path}/assign", data={"csrf": csrf, "assignee": " 物业服务中心 "})
        assert r.status_code == 303 and r.headers["location"] == path
        assert _order(console, number) == ("已受理", "物业服务中心")
        page = zhang.get(path).text
        assert "分派给物业服务中心" in page and "改派" in page
        assert "承办：物业服务中心" in zhang.get("/console/work-orders").text
        # Reassigning keeps the status, records the move and tells the resident who has it now.
        assert zhang.post(f"{path}/assign", data={"csrf": csrf, "assignee": "网格员"}).status_code == 303
        assert zhang.post(f"{path}/assign", data={"csrf": csrf, "assignee": "网格员"}).status_code == 303  # no-op
    assert _order(console, number) == ("已受理", "网格员")
    events = db_rows(console.database_url, "SELECT status, note, actor FROM work_order_events ORDER BY id")
    assert [(e.status, e.note, e.actor) for e in events][1:] == [
        ("已受理", "分派给物业服务中心", "zhang"), ("已受理", "改派给网格员", "zhang")]
    texts = _texts(console, conv_id)
    assert any(f"您的工单{number}已由物业服务中心受理" in t for t in texts)
    assert any(f"您的工单{number}已转由网格员处理" in t for t in texts)
    audit = db_rows(console.database_url, "SELECT action, object_id, detail FROM audit_log ORDER BY id")
    assigned = [a for a in audit if a.action == "assign"]
    assert [a.object_id for a in assigned] == [number, number]
    detail = assigned[-1].detail
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail == {"assignee": "网格员", "before": "物业服务中心", "status": "已受理"}


def test_finished_orders_are_not_assigned(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    number, _ = seed_work_order(console.database_url, "default")
    path = f"/console/work-orders/{number}"
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, path)
        assert zhang.post(f"{path}/status", data={"csrf": csrf, "status": "已办结"}).status_code == 303
        r = zhang.post(f"{path}/assign", data={"csrf": csrf, "assignee": "网格员"})
        assert r.status_code == 422 and "已办结" in r.text
    assert _order(console, number) == ("已办结", None)
    assert "assign" not in [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")]


def test_list_filters_by_assignee_and_date(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    fresh, _ = seed_work_order(console.database_url, "default", description="水龙头漏水")
    old, _ = seed_work_order(console.database_url, "default", overdue=True, description="十天前的工单")
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang)
        zhang.post(f"/console/work-orders/{fresh}/assign", data={"csrf": csrf, "assignee": "社区居委会"})
        listed = zhang.get("/console/work-orders", params={"assignee": "社区居委会"}).text
        assert fresh in listed and old not in listed
        unassigned = zhang.get("/console/work-orders", params={"assignee": "-"}).text
        assert old in unassigned and fresh not in unassigned
        page = zhang.get("/console/work-orders").text
        assert ">社区居委会</option>" in page  # offered in the assignee filter
        today = utcnow().astimezone(TZ).date()  # the day seed_work_order dates orders by
        recent = zhang.get("/console/work-orders", params={"created_from": str(today - dt.timedelta(days=2))}).text
        assert fresh in recent and old not in recent
        earlier = zhang.get("/console/work-orders", params={"created_to": str(today - dt.timedelta(days=5))}).text
        assert old in earlier and fresh not in earlier
        both = zhang.get("/console/work-orders", params={"created_from": str(today - dt.timedelta(days=11)),
                                                         "created_to": str(today)}).text
        assert fresh in both and old in both
        ignored = zhang.get("/console/work-orders", params={"created_from": "昨天"})
        assert ignored.status_code == 200 and fresh in ignored.text and old in ignored.text


def test_another_communitys_order_cannot_be_assigned(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    number, conv_id = seed_work_order(console.database_url, "default", description="幸福里的工单")
    with httpx.Client(base_url=console.url) as anonymous:
        r = anonymous.post(f"/console/work-orders/{number}/assign", data={"csrf": "x", "assignee": "网格员"})
        assert r.headers["location"] == "/console/login"
    with console_client(console.url, "li", pw) as li:
        r = li.post(f"/console/work-orders/{number}/assign", data={"csrf": page_csrf(li), "assignee": "网格员"})
        assert r.status_code == 404
        assert li.post("/console/work-orders/GD19990101999/assign",
                       data={"csrf": page_csrf(li), "assignee": "网格员"}).status_code == 404
        assert "幸福里的工单" not in li.get("/console/work-orders", params={"assignee": "-"}).text
    assert _order(console, number) == ("待受理", None)
    assert [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")] == ["login"]
    assert not any("受理" in t for t in _texts(console, conv_id))
