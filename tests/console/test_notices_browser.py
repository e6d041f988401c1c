"""In Chromium: a worker sends a notice from the console alone, and it reaches a web-chat resident and a
Telegram resident (the real bot and outbox sender, against the fake Bot API over HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from tests.channels.conftest import WEBHOOK_SECRET, telegram_settings
from tests.channels.fake_bot_api import FakeBotApi, message_update
from tests.conftest import FixedClock, make_live
from tests.console.conftest import ConsoleServer
from tests.console.test_console_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import make_staff
from tests.resident import Resident

pytestmark = [pytest.mark.browser]
TG_USER = 5550001
TEXT = "明天上午9点到12点3号楼停水检修，请提前储水。"


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    """A running fake Bot API."""
    fake = FakeBotApi()
    server = fake.start()
    yield fake
    server.stop()


@pytest.fixture
def console_with_telegram(settings: Settings, nlu: Any, retriever: Any, clock: FixedClock,
                          fake_api: FakeBotApi) -> Iterator[ConsoleServer]:
    """The real app with the console and the Telegram webhook, its outbox sender pushing to the fake."""
    tg = telegram_settings(settings, fake_api, telegram_webhook_url="https://linli.example/telegram/webhook")
    server, _ = make_live(tg, nlu, retriever, clock=clock)
    yield ConsoleServer(server.url, settings.database_url, server.config.app)
    server.stop()


def _until(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.2)


def test_a_notice_sent_from_the_console_reaches_web_and_telegram_residents(
        console_with_telegram: ConsoleServer, fake_api: FakeBotApi) -> None:
    from playwright.sync_api import expect, sync_playwright

    console = console_with_telegram
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pw = make_staff(console.database_url, "zhang", "default")
    with httpx.Client(base_url=console.url, timeout=30) as api:
        web = Resident(api)
        web.say("你好")
        conv_id, token = web.last["conversation_id"], web.last["conversation_token"]
        start = api.post("/telegram/webhook", json=message_update(fake_api.next_update_id(), TG_USER, text="/start"),
                         headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert start.status_code == 200
        greeted = len(fake_api.delivered(TG_USER))
        assert greeted >= 1

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(f"{console.url}/console/login")
            page.get_by_label("用户名").fill("zhang")
            page.get_by_label("密码").fill(pw)
            page.get_by_role("button", name="登录").click()
            page.get_by_role("link", name="社区通知").click()
            expect(page.get_by_role("heading", name="发一条通知")).to_be_visible()
            page.get_by_label("类别").select_option(label="停水停电")
            page.get_by_label("楼栋或村民小组（可不填）").fill("")
            page.get_by_label("通知内容").fill(TEXT)
            page.screenshot(path=str(ARTIFACTS / "notice-01-form.png"), full_page=True)
            page.get_by_role("button", name="发送通知").click()
            expect(page.get_by_role("status")).to_contain_text("通知已发出")
            row = page.locator("#notices tbody tr").first
            expect(row).to_contain_text(TEXT)
            expect(row.locator("td.delivered")).to_have_text("1")  # the web chat has it at once
            page.screenshot(path=str(ARTIFACTS / "notice-02-sent.png"), full_page=True)

            # The Telegram resident's row is pushed by the app's own outbox sender within a round or two.
            _until(lambda: any(TEXT in t for t in fake_api.delivered(TG_USER)))
            page.reload()
            row = page.locator("#notices tbody tr").first
            expect(row.locator("td.delivered")).to_have_text("2")
            expect(row.locator("td.waiting")).to_have_text("0")
            expect(row.locator("td.failed")).to_have_text("0")
            page.screenshot(path=str(ARTIFACTS / "notice-03-delivered.png"), full_page=True)
            browser.close()

        pushed = [t for t in fake_api.delivered(TG_USER) if TEXT in t]
        assert len(pushed) == 1 and pushed[0].startswith("【")
        shown = api.get(f"/api/v1/conversations/{conv_id}/messages", params={"token": token}).json()
        assert [m["text"] for m in shown if TEXT in m["text"]] == [pushed[0]]
