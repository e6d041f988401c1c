"""好差评 in the console: the eight-week chart, tables by service and category, poor-rating follow-ups."""

from __future__ import annotations

import httpx

from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf
from tests.console.review_seeds import seed_rating
from tests.factories import make_staff


def test_chart_and_tables_show_the_good_share(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    for score in (5, 4, 4, 1):
        seed_rating(console.database_url, "default", score, service_id="bathing-assistance")
    seed_rating(console.database_url, "default", 3, days_ago=14, category="环境卫生")
    seed_rating(console.database_url, "default", 5, days_ago=200)  # older than eight weeks: not counted
    seed_rating(console.database_url, "qinghe-village", 1, comment="村里的差评")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/ratings")
        assert page.status_code == 200
        html = page.text
        assert html.count("<rect") >= 1 and "<svg" in html and "近 8 周好评率" in html
        assert "75%" in html  # this week: 3 of 4 good
        assert "共 5 条" in html and "整体 60%" in html
        assert "助浴" in html and "（未关联服务）" in html
        assert "维修" in html and "环境卫生" in html
        assert "村里的差评" not in html and "标记为已回访" in html


def test_poor_rating_follow_up_moves_on_and_tells_the_resident(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_rating(console.database_url, "default", 1, comment="修了三次还漏水")
    path = f"/console/ratings/{seeded.rating_id}/follow-up"
    with console_client(console.url, "zhang", pw) as zhang:
        assert "修了三次还漏水" in zhang.get("/console/ratings", params={"status": "待回访"}).text
        csrf = page_csrf(zhang, "/console/ratings")
        assert zhang.post(path, data={"csrf": csrf, "note": "已电话联系居民"}).status_code == 303
        assert "已电话联系居民" in zhang.get("/console/ratings").text
        assert zhang.post(path, data={"csrf": csrf, "note": "更换了整根水管"}).status_code == 303
        assert zhang.post(path, data={"csrf": csrf}).status_code == 409
        assert "修了三次还漏水" not in zhang.get("/console/ratings", params={"status": "待回访"}).text
    assert db_rows(console.database_url, "SELECT follow_up_status FROM ratings")[0][0] == "已整改"
    audit = db_rows(console.database_url, "SELECT action, object_id FROM audit_log ORDER BY id")
    assert [(a.action, a.object_id) for a in audit][1:] == [("follow_up", str(seeded.rating_id))] * 2
    token = db_rows(console.database_url, "SELECT token FROM conversations WHERE id = :i",
                    i=seeded.conversation_id)[0].token
    with httpx.Client(base_url=console.url) as client:
        msgs = client.get(f"/api/v1/conversations/{seeded.conversation_id}/messages", params={"token": token}).json()
    told = [m["text"] for m in msgs if "整改" in m["text"]]
    assert len(told) == 1 and "更换了整根水管" in told[0] and "非常不满意" in told[0]


def test_another_communitys_rating_is_not_found_and_posts_are_guarded(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    seeded = seed_rating(console.database_url, "default", 2, comment="幸福里的差评")
    path = f"/console/ratings/{seeded.rating_id}/follow-up"
    with httpx.Client(base_url=console.url) as anonymous:
        assert anonymous.get("/console/ratings").headers["location"] == "/console/login"
        assert anonymous.post(path, data={"csrf": "x"}).headers["location"] == "/console/login"
    with console_client(console.url, "li", pw) as li:
        assert "幸福里的差评" not in li.get("/console/ratings").text
        assert li.post(path, data={"csrf": page_csrf(li), "note": "越权"}).status_code == 404
        assert li.post(path, data={"csrf": "0" * 64}).status_code == 403
        assert li.post("/console/ratings/999999/follow-up", data={"csrf": page_csrf(li)}).status_code == 404
    with console_client(console.url, "boss", pw) as boss:
        assert "幸福里的差评" in boss.get("/console/ratings").text
    assert db_rows(console.database_url, "SELECT follow_up_status FROM ratings")[0][0] == "待回访"
    assert {a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")} == {"login"}


def test_a_follow_up_names_the_order_links_the_conversation_and_reveals_the_number(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_rating(console.database_url, "default", 1, comment="修了两次还漏")
    number = db_rows(console.database_url, "SELECT number FROM work_orders")[0].number
    with console_client(console.url, "zhang", pw) as zhang:
        html = zhang.get("/console/ratings").text
        item = html[html.index(f'id="rating-{seeded.rating_id}"'):]
        item = item[:item.index("</li>")]
        assert f'href="/console/work-orders/{number}"' in item
        assert "138****1234" in item and "13800001234" not in html  # the order's contact number, masked
        r = zhang.post(f"/console/ratings/{seeded.rating_id}/reveal",
                       data={"csrf": page_csrf(zhang, "/console/ratings")}, headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json() == {"phone": "13800001234"}
    audit = db_rows(console.database_url, "SELECT object_type, object_id FROM audit_log WHERE action = 'reveal_phone'")
    assert [(a.object_type, a.object_id) for a in audit] == [("rating", str(seeded.rating_id))]
