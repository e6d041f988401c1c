"""The console in headless Chromium: sign in, watch an escalation arrive, reply, the resident gets it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.config import PROJECT_ROOT
from tests.console.conftest import ConsoleServer
from tests.console.helpers import seed_work_order
from tests.factories import make_staff
from tests.resident import Resident

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "console"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    """Fail, never skip: `make browser` (run by .ci/run) installs Debian's chromium."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")


def test_staff_sees_a_new_escalation_arrive_and_replies(console: ConsoleServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pw = make_staff(console.database_url, "zhang", "default")
    seed_work_order(console.database_url, "default", description="楼道灯坏了，晚上看不见路")
    late, _ = seed_work_order(console.database_url, "default", category="环境卫生", overdue=True,
                              description="垃圾三天没人收")
    with sync_playwright() as p, httpx.Client(base_url=console.url, timeout=30) as api:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{console.url}/console/")
        expect(page).to_have_title(re.compile("登录"))
        page.screenshot(path=str(ARTIFACTS / "01-login.png"))
        page.get_by_label("用户名").fill("zhang")
        page.get_by_label("密码").fill(pw)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("暂时没有需要人工处理的会话")).to_be_visible()

        resident = Resident(api)
        resident.say("我要转人工")
        conv_id, token = resident.last["conversation_id"], resident.last["conversation_token"]
        item = page.locator("#inbox li.item").first
        expect(item).to_contain_text("我要转人工", timeout=15_000)  # arrives by polling, no reload
        page.screenshot(path=str(ARTIFACTS / "02-inbox.png"), full_page=True)

        item.locator("a").click()
        expect(page.locator(".transcript")).to_contain_text("我要转人工")
        page.get_by_role("button", name=re.compile("马上为您处理")).click()
        expect(page.locator("#reply-text")).to_have_value(re.compile("马上为您处理"))
        page.locator("#reply-text").fill("您好，我是社区小张，马上为您处理。")
        page.get_by_role("button", name="发送").click()
        expect(page.locator(".msg.staff")).to_contain_text("我是社区小张")
        page.screenshot(path=str(ARTIFACTS / "03-escalation.png"), full_page=True)

        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())
        phone.goto(page.url)
        phone.screenshot(path=str(ARTIFACTS / "04-escalation-phone.png"), full_page=True)
        page.goto(f"{console.url}/console/work-orders")
        expect(page.locator("li.item.overdue")).to_contain_text(late)
        page.screenshot(path=str(ARTIFACTS / "05-work-orders.png"), full_page=True)
        phone.goto(f"{console.url}/console/work-orders/{late}")
        phone.screenshot(path=str(ARTIFACTS / "06-work-order-phone.png"), full_page=True)
        assert not blocked, f"a console page breaks its own content policy: {blocked}"
        browser.close()

        got = api.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()
        assert any(m["sender"] == "staff" and "我是社区小张" in m["text"] for m in got)
