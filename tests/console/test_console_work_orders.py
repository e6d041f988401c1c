"""Work orders in the console: filters, overdue first, status changes that reach the resident, scoping."""

from __future__ import annotations

import httpx

from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, seed_work_order
from tests.factories import make_staff


def _conversation_texts(console: ConsoleServer, conv_id: int) -> list[dict[str, object]]:
    token = db_rows(console.database_url, "SELECT token FROM conversations WHERE id = :i", i=conv_id)[0].token
    with httpx.Client(base_url=console.url) as client:
        return client.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()  # type: ignore[no-any-return]


def test_list_filters_and_puts_overdue_first(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    fresh, _ = seed_work_order(console.database_url, "default", category="维修", description="水龙头漏水")
    late, _ = seed_work_order(console.database_url, "default", category="环境卫生", overdue=True,
                              description="垃圾三天没人收")
    other, _ = seed_work_order(console.database_url, "qinghe-village", description="村道有坑")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/work-orders").text
        assert fresh in page and late in page and other not in page
        assert page.index(late) < page.index(fresh) and "已超期" in page
        only_late = zhang.get("/console/work-orders", params={"overdue": "1"}).text
        assert late in only_late and fresh not in only_late
        repairs = zhang.get("/console/work-orders", params={"category": "维修"}).text
        assert fresh in repairs and late not in repairs
        assert fresh in zhang.get("/console/work-orders", params={"status": "待受理"}).text
        assert fresh not in zhang.get("/console/work-orders", params={"status": "已办结"}).text


def test_status_change_tells_the_resident_and_asks_for_a_rating_when_done(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    number, conv_id = seed_work_order(console.database_url, "default")
    path = f"/console/work-orders/{number}"
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get(path)
        assert page.status_code == 200 and "楼道灯坏了" in page.text and "居民提交诉求" in page.text
        csrf = page_csrf(zhang, path)
        r = zhang.post(f"{path}/status", data={"csrf": csrf, "status": "处理中", "note": "电工明天上午上门"})
        assert r.status_code == 303
        assert zhang.post(f"{path}/status", data={"csrf": csrf, "status": "已办结"}).status_code == 303
        refused = zhang.post(f"{path}/status", data={"csrf": csrf, "status": "待受理"})
        assert refused.status_code == 422 and "不能从" in refused.text
        assert "电工明天上午上门" in zhang.get(path).text
    texts = _conversation_texts(console, conv_id)
    assert any("处理中" in str(m["text"]) and "电工明天上午上门" in str(m["text"]) for m in texts)
    rating = [m for m in texts if "打个分" in str(m["text"])]
    assert rating and rating[0]["buttons"]
    assert db_rows(console.database_url, "SELECT status FROM work_orders")[0].status == "已办结"
    audit = db_rows(console.database_url, "SELECT action, object_id FROM audit_log ORDER BY id")
    assert [(a.action, a.object_id) for a in audit][1:] == [("status", number), ("status", number)]


def test_another_communitys_work_order_is_not_found(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    number, _ = seed_work_order(console.database_url, "default", description="幸福里的工单")
    with console_client(console.url, "li", pw) as li:
        assert "幸福里的工单" not in li.get("/console/work-orders").text
        assert li.get(f"/console/work-orders/{number}").status_code == 404
        r = li.post(f"/console/work-orders/{number}/status", data={"csrf": page_csrf(li), "status": "已关闭"})
        assert r.status_code == 404
        assert li.get("/console/work-orders/GD19990101999").status_code == 404
    assert db_rows(console.database_url, "SELECT status FROM work_orders")[0].status == "待受理"
    with console_client(console.url, "boss", pw) as boss:
        assert boss.get(f"/console/work-orders/{number}").status_code == 200
