"""Console access: sign-in, cookies, redirects, CSRF, slowing down guessing, sign-out, audit."""

from __future__ import annotations

import httpx

from bot.console.throttle import LoginThrottle
from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, csrf_of, page_csrf, seed_escalation, seed_work_order
from tests.factories import make_staff


def _login(client: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    page = client.get("/console/login")
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf": csrf_of(page.text)}, headers=headers)


def test_login_sets_a_safe_session_cookie_and_is_audited(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        page = client.get("/console/login")
        assert page.status_code == 200 and "<title>登录" in page.text
        r = _login(client, "zhang", pw)
        assert r.status_code == 303 and r.headers["location"] == "/console/"
        cookie = r.headers["set-cookie"].lower()
        assert "linli_console=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http in tests; see the https test below
        inbox = client.get("/console/")
        assert inbox.status_code == 200 and "转人工" in inbox.text and "退出" in inbox.text
    rows = db_rows(console.database_url, "SELECT action, staff_id FROM audit_log")
    assert [r.action for r in rows] == ["login"] and rows[0].staff_id is not None


def test_cookie_is_secure_when_served_over_https(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        r = _login(client, "zhang", pw, **{"X-Forwarded-Proto": "https"})
        assert r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_is_refused_and_audited(console: ConsoleServer) -> None:
    make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        r = _login(client, "zhang", "not-the-password")
        assert r.status_code == 401 and "用户名或密码错误" in r.text
        assert "linli_console=" not in r.headers.get("set-cookie", "")
        assert client.get("/console/").status_code == 303
        assert _login(client, "nobody", "whatever-password").status_code == 401
    rows = db_rows(console.database_url, "SELECT action, object_id, staff_id FROM audit_log ORDER BY id")
    assert [(r.action, r.object_id, r.staff_id) for r in rows] == [
        ("login_failed", "zhang", None), ("login_failed", "nobody", None)]


def test_repeated_failures_lock_the_account_for_a_while(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        for _ in range(6):
            assert _login(client, "zhang", "wrong-password").status_code == 401
        locked = _login(client, "zhang", pw)
        assert locked.status_code == 429 and "秒后再试" in locked.text


def test_throttle_grows_and_forgives() -> None:
    now = [0.0]
    t = LoginThrottle(free_per_user=2, free_per_ip=100, base_seconds=10, clock=lambda: now[0])
    for _ in range(2):
        t.failed("Zhang", "1.2.3.4")
    assert t.wait_seconds("zhang", "1.2.3.4") == 0
    t.failed("zhang", "1.2.3.4")
    assert t.wait_seconds("zhang", "5.6.7.8") == 10
    t.failed("zhang", "1.2.3.4")
    assert t.wait_seconds("zhang", "1.2.3.4") == 20
    now[0] = 21
    assert t.wait_seconds("zhang", "1.2.3.4") == 0
    t.succeeded("zhang")
    t.failed("zhang", "1.2.3.4")
    assert t.wait_seconds("zhang", "1.2.3.4") == 0
    many = LoginThrottle(free_per_user=100, free_per_ip=3, base_seconds=10, clock=lambda: now[0])
    for i in range(4):
        many.failed(f"user{i}", "9.9.9.9")
    assert many.wait_seconds("someone-else", "9.9.9.9") == 10


def test_every_page_needs_a_session(console: ConsoleServer) -> None:
    seeded = seed_escalation(console.database_url, "default")
    number, _ = seed_work_order(console.database_url, "default")
    gets = ["/console/", "/console/fragments/inbox", f"/console/escalations/{seeded.escalation_id}",
            f"/console/fragments/escalations/{seeded.escalation_id}/transcript", "/console/work-orders",
            f"/console/work-orders/{number}"]
    posts = [f"/console/escalations/{seeded.escalation_id}/{a}" for a in ("reply", "claim", "release", "close")]
    posts += [f"/console/work-orders/{number}/status", "/console/logout"]
    with httpx.Client(base_url=console.url) as client:
        for path in gets:
            r = client.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/console/login", path
        for path in posts:
            r = client.post(path, data={"text": "x", "status": "处理中", "csrf": "x"})
            assert r.status_code == 303 and r.headers["location"] == "/console/login", path
        client.cookies.set("linli_console", "forged-token", path="/console")
        assert client.get("/console/").status_code == 303


def test_posts_without_the_right_csrf_token_are_rejected(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seeded = seed_escalation(console.database_url, "default")
    number, _ = seed_work_order(console.database_url, "default")
    with httpx.Client(base_url=console.url) as anonymous:
        anonymous.get("/console/login")
        r = anonymous.post("/console/login", data={"username": "zhang", "password": pw, "csrf": "forged"})
        assert r.status_code == 403
    with console_client(console.url, "zhang", pw) as client:
        for path, data in [(f"/console/escalations/{seeded.escalation_id}/reply", {"text": "您好"}),
                           (f"/console/escalations/{seeded.escalation_id}/claim", {}),
                           (f"/console/escalations/{seeded.escalation_id}/release", {}),
                           (f"/console/escalations/{seeded.escalation_id}/close", {"outcome": "已解答"}),
                           (f"/console/work-orders/{number}/status", {"status": "处理中"}),
                           ("/console/logout", {})]:
            assert client.post(path, data=data).status_code == 403, path
            assert client.post(path, data={**data, "csrf": "0" * 64}).status_code == 403, path
        assert client.get("/console/").status_code == 200  # still signed in
    rows = db_rows(console.database_url, "SELECT action FROM audit_log")
    assert [r.action for r in rows] == ["login"]
    assert db_rows(console.database_url, "SELECT status FROM escalations")[0].status == "待处理"


def test_logout_ends_the_session(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with console_client(console.url, "zhang", pw) as client:
        token = client.cookies.get("linli_console")
        r = client.post("/console/logout", data={"csrf": page_csrf(client)})
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        assert client.get("/console/").status_code == 303
        client.cookies.set("linli_console", token, path="/console")
        assert client.get("/console/").status_code == 303  # the old token is revoked, not just forgotten
    rows = db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")
    assert [r.action for r in rows] == ["login", "logout"]
    assert db_rows(console.database_url, "SELECT count(*) AS n FROM staff_sessions")[0].n == 0
