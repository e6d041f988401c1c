"""The resident web chat page at `/`, in headless Chromium: type, read the answer, press a button."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "web-chat"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


def test_a_resident_chats_on_the_web_page(live: httpx.Client) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 780}, locale="zh-CN")
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(str(live.base_url) + "/")
        expect(page).to_have_title("邻里社区助手")
        page.get_by_label("消息").fill("高龄津贴要带什么材料")
        page.get_by_role("button", name="发送").click()
        expect(page.locator(".msg.bot").last).to_contain_text("身份证")
        page.get_by_label("消息").fill("我想预约下周三上午的助浴服务")
        page.get_by_role("button", name="发送").click()
        slot = page.locator(".msg.bot .buttons button").last
        expect(slot).to_contain_text("名额")
        slot.click()
        expect(page.locator(".msg.bot").last).to_contain_text("几位")
        page.screenshot(path=str(ARTIFACTS / "chat-phone.png"), full_page=True)
        assert not blocked, f"the page breaks its own content policy: {blocked}"
        browser.close()
