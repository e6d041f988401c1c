"""Work orders in the console: filters, overdue first, status changes that reach the resident, scoping."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

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


def test_mine_and_overdue_filters_and_the_export_masks_phones_unless_asked(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    mine, _ = seed_work_order(console.database_url, "default", description="楼道灯坏了，电话13911112222")
    late_mine, _ = seed_work_order(console.database_url, "default", overdue=True, description="井盖松了")
    theirs, _ = seed_work_order(console.database_url, "default", description="树枝挡路")
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, "/console/work-orders")
        for number, who in ((mine, "zhang"), (late_mine, "zhang"), (theirs, "物业公司")):
            assert zhang.post(f"/console/work-orders/{number}/assign",
                              data={"csrf": csrf, "assignee": who}).status_code == 303
        page = zhang.get("/console/work-orders", params={"mine": "1"}).text
        assert mine in page and late_mine in page and theirs not in page and "只看分派给我的" in page
        late = zhang.get("/console/work-orders", params={"mine": "1", "overdue": "1"}).text
        assert late_mine in late and mine not in late

        r = zhang.post("/console/work-orders/export", data={"csrf": csrf, "mine": "1"})
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        rows = [list(row) for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)]
        assert rows[0][0] == "工单号" and "联系电话" in rows[0]
        assert sorted(row[0] for row in rows[1:]) == sorted([mine, late_mine])
        text = repr(rows)
        assert "138****1234" in text and "13800001234" not in text and "13911112222" not in text
        full = zhang.post("/console/work-orders/export", data={"csrf": csrf, "mine": "1", "full_phone": "1"})
        assert "13800001234" in repr(list(load_workbook(io.BytesIO(full.content)).active.iter_rows(values_only=True)))
        assert zhang.post("/console/work-orders/export", data={"mine": "1"}).status_code == 403
    exports = db_rows(console.database_url, "SELECT object_id, detail FROM audit_log WHERE action = 'export'")
    assert [r.object_id for r in exports] == ["2", "2"]
    assert ["full_phone" in str(r.detail) and "True" in str(r.detail).replace("true", "True") for r in exports] \
        == [False, True]
