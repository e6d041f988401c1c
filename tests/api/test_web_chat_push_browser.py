"""The web chat page shows what is pushed later (staff replies, status changes, rating requests) within
two seconds, over plain HTTP, and shows it all again after a reload."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.factories import make_staff
from tests.resident import Resident

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PUSHED = 2000  # ms: how soon a pushed message must be on the open page

pytestmark = pytest.mark.browser


def test_pushed_messages_appear_on_the_open_page_and_after_a_reload(live: httpx.Client) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")
    password = make_staff(live.database_url, "zhang", "default")  # type: ignore[attr-defined]
    staff = {"Authorization": "Bearer " + live.post("/api/v1/staff/login", json={
        "username": "zhang", "password": password}).json()["token"]}
    with sync_playwright() as p:
        # A LAN name over plain HTTP, as a community's own server is reached: not a secure context (the
        # browser trusts only localhost and https), so the page may use no API reserved for those.
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=[*ARGS, "--host-resolver-rules=MAP linli.lan 127.0.0.1"])
        page = browser.new_page(locale="zh-CN")
        page.goto(f"http://linli.lan:{live.base_url.port}/")
        assert page.evaluate("window.isSecureContext") is False
        page.get_by_label("消息").fill("转人工")
        page.get_by_role("button", name="发送").click()
        expect(page.locator(".msg.bot").last).to_contain_text("工作人员")

        escalation = live.get("/api/v1/staff/escalations", headers=staff).json()[0]["id"]
        live.post(f"/api/v1/staff/escalations/{escalation}/reply", headers=staff,
                  json={"text": "您好，我是社区小张，请问有什么需要？"})
        expect(page.locator(".msg.staff").last).to_contain_text("我是社区小张", timeout=PUSHED)
        live.post(f"/api/v1/staff/escalations/{escalation}/release", headers=staff)

        # The same resident files a work order (through the API with the page's own secret sender id).
        resident = Resident(live, page.evaluate("localStorage.linliSender"))
        resident.say("楼道灯坏了三天了")
        resident.say("5号楼2单元楼道")
        resident.say("13912345678")
        resident.press("确认")
        number = re.search(r"GD\d{11}", resident.text).group(0)  # type: ignore[union-attr]
        live.post(f"/api/v1/staff/work-orders/{number}/status", headers=staff, json={"status": "已办结"})
        expect(page.locator(".msg.bot", has_text="已办结").last).to_be_visible(timeout=PUSHED)
        expect(page.locator(".msg.bot", has_text="打个分").last).to_be_visible(timeout=PUSHED)
        expect(page.locator(".msg.bot", has_text="打个分").last.locator("button").first).to_be_visible()
        assert page.locator(".msg.staff", has_text="我是社区小张").count() == 1, "each message shown once"

        page.reload()
        expect(page.locator(".msg.staff", has_text="我是社区小张")).to_have_count(1)
        expect(page.locator(".msg.me", has_text="转人工")).to_have_count(1)
        expect(page.locator(".msg.bot", has_text="打个分")).to_have_count(1)
        page.locator(".msg.bot", has_text="打个分").locator("button").first.click()
        expect(page.locator(".msg.bot").last).to_contain_text("谢谢", timeout=PUSHED)
        browser.close()


def test_the_page_uses_no_api_that_needs_a_secure_context(live: httpx.Client) -> None:
    script = live.get("/static/chat.js").text
    assert "randomUUID(" not in script and "crypto.subtle" not in script and "serviceWorker" not in script
    assert "EventSource" in script and "setInterval" in script, "pushed by events, with polling as a fallback"


def test_events_resume_after_the_last_event_id(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("你好")
    r.say("高龄津贴要带什么材料")
    conv, token = r.last["conversation_id"], r.last["conversation_token"]
    every = live.get(f"/api/v1/conversations/{conv}/messages", params={"token": token}).json()
    with live.stream("GET", f"/api/v1/conversations/{conv}/events", params={"token": token},
                     headers={"Last-Event-ID": str(every[1]["id"])}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        ids: list[int] = []
        for line in stream.iter_lines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
            if len(ids) == len(every) - 2:
                break
    assert ids == [m["id"] for m in every[2:]], "everything after the last event seen, in order, once"
    assert live.get(f"/api/v1/conversations/{conv}/events", params={"token": "x" * 32}).status_code == 404
