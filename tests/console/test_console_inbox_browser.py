"""In Chromium: an emergency that arrives while the inbox is open sounds, notifies and goes to the top."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.console.conftest import ConsoleServer
from tests.console.helpers import seed_escalation
from tests.console.test_console_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import make_staff

pytestmark = [pytest.mark.browser]

# Records what the page does with the speaker and the notification centre, which a headless browser
# cannot show: each tone started and each notification raised, with its text.
RECORDER = """
window.__tones = 0;
window.__notes = [];
const realStart = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return realStart.apply(this, args); };
const RealNotification = window.Notification;
class RecordedNotification extends RealNotification {
  constructor(title, options) { super(title, options); window.__notes.push({ title, body: options && options.body }); }
}
RecordedNotification.requestPermission = RealNotification.requestPermission.bind(RealNotification);
Object.defineProperty(RecordedNotification, "permission", { get: () => RealNotification.permission });
window.Notification = RecordedNotification;
"""


def _until(page: Any, condition: str, seconds: float = 5.0) -> None:
    """Poll a condition in the page (wait_for_function would evaluate a string, which the CSP forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(f"() => Boolean({condition})"):
        assert time.monotonic() < deadline, f"not within {seconds} s: {condition}"
        page.wait_for_timeout(100)


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")


def test_a_new_emergency_sounds_notifies_and_leads_the_inbox(console: ConsoleServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pw = make_staff(console.database_url, "zhang", "default")
    for i in range(3):
        seed_escalation(console.database_url, "default", f"上次修水管的态度不好{i}", reason="bad_rating", urgent=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        context.grant_permissions(["notifications"], origin=console.url)
        context.add_init_script(RECORDER)
        page = context.new_page()
        page.goto(f"{console.url}/console/login")
        page.get_by_label("用户名").fill("zhang")
        page.get_by_label("密码").fill(pw)
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#inbox li.item")).to_have_count(3)
        page.get_by_role("button", name=re.compile("开启紧急提醒")).click()
        expect(page.get_by_text("紧急提醒已开启")).to_be_visible()
        assert page.evaluate("window.__tones") == 0  # the follow-ups already waiting sound nothing

        # Seeded from another thread: Playwright's sync API keeps an event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            fall = pool.submit(seed_escalation, console.database_url, "default", "我妈摔倒了起不来",
                               reason="emergency", urgent=True).result()
        first = page.locator("#inbox li.item").first
        expect(first).to_have_attribute("data-id", str(fall.escalation_id), timeout=15_000)  # by polling
        expect(first).to_contain_text("紧急")
        _until(page, "window.__notes.length === 1 && window.__tones >= 3")
        note = page.evaluate("window.__notes[0]")
        assert note["title"] == "紧急转人工" and "紧急情况" in note["body"]
        _until(page, "document.title.includes('【紧急】')")
        page.screenshot(path=str(ARTIFACTS / "10-inbox-emergency.png"), full_page=True)

        first.locator("a").click()
        expect(page.locator("#resident")).to_contain_text("居民信息")
        page.screenshot(path=str(ARTIFACTS / "11-escalation-side-panel.png"), full_page=True)
        browser.close()
