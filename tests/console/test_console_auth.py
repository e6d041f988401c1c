"""Console access: sign-in, cookies, redirects, CSRF, slowing down guessing, sign-out, audit.

The throttle itself is tested in tests/backend/test_login_throttle.py and, through the API and the
console alike, in tests/api/test_login_throttle_http.py.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.config import Settings
from tests.conftest import FixedClock, db_rows, make_live
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


def test_cookies_are_secure_when_served_over_https(settings: Settings, nlu: Any, retriever: Any,
                                                  clock: FixedClock) -> None:
    proxied = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})  # an https proxy in front
    server, _ = make_live(proxied, nlu, retriever, clock=clock)
    try:
        pw = make_staff(settings.database_url, "zhang", "default")
        with httpx.Client(base_url=server.url) as client:
            r = _login(client, "zhang", pw, **{"X-Forwarded-Proto": "https"})
            assert r.status_code == 303
            cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
            assert "secure" in cookies["linli_console"] and "secure" in cookies["linli_console_device"]
    finally:
        server.stop()


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


def test_repeated_failures_make_even_the_right_password_wait(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        for _ in range(6):
            assert _login(client, "zhang", "wrong-password").status_code == 401
        held = _login(client, "zhang", pw)
        assert held.status_code == 429 and "登录尝试次数过多，请 2 秒后再试。" in held.text
        assert held.headers["retry-after"] == "2" and "linli_console=" not in held.headers.get("set-cookie", "")


def test_signing_in_marks_the_browser_for_the_throttle(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url) as client:
        r = _login(client, "zhang", pw)
        device = [c for c in r.headers.get_list("set-cookie") if c.startswith("linli_console_device=")]
        assert len(device) == 1
        assert "httponly" in device[0].lower() and "path=/console" in device[0].lower()


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
        token = client.cookies["linli_console"]
        r = client.post("/console/logout", data={"csrf": page_csrf(client)})
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        assert client.get("/console/").status_code == 303
        client.cookies.set("linli_console", token, path="/console")
        assert client.get("/console/").status_code == 303  # the old token is revoked, not just forgotten
    rows = db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")
    assert [r.action for r in rows] == ["login", "logout"]
    assert db_rows(console.database_url, "SELECT count(*) AS n FROM staff_sessions")[0].n == 0
