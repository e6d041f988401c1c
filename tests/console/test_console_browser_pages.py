"""The bookings, ratings, NLU review and catalog pages in headless Chromium, with screenshots to look at."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from tests.console.conftest import ConsoleServer
from tests.console.review_seeds import seed_message, seed_rating
from tests.console.test_console_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import make_staff
from tests.resident import Resident

pytestmark = [pytest.mark.browser]


def test_staff_pages_render_and_work_in_a_browser(console: ConsoleServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    for score, days in ((5, 0), (4, 0), (2, 0), (5, 7), (5, 7), (3, 21), (4, 35), (1, 49)):
        seed_rating(console.database_url, "default", score, days_ago=days, service_id="bathing-assistance",
                    comment="等了两个星期才来修" if score <= 2 else "")
    seed_rating(console.database_url, "default", 4, category="环境卫生")
    seed_message(console.database_url, "default", "那个高龄经贴咋弄啊", intent="ask_service_info", confidence=0.31)
    seed_message(console.database_url, "default", "嗯就是那个我家老头子那个本子", confidence=0.12)
    day = dt.date.today() + dt.timedelta(days=2)
    with sync_playwright() as p, httpx.Client(base_url=console.url, timeout=30) as api:
        resident = Resident(api)
        resident.say("我想预约后天下午的助浴服务")
        resident.press_first()
        for answer in ("1位", "孙阿姨", "13500001111"):
            resident.say(answer)
        resident.press("确认")
        number = re.search(r"YY\d{11}", resident.text).group(0)  # type: ignore[union-attr]

        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page.goto(f"{console.url}/console/login")
        page.get_by_label("用户名").fill("zhang")
        page.get_by_label("密码").fill(pw)
        page.get_by_role("button", name="登录").click()

        page.goto(f"{console.url}/console/bookings?service=bathing-assistance&day={day.isoformat()}")
        expect(page.locator(f'tr[data-booking="{number}"]')).to_contain_text("135****1111")
        page.locator("tr[data-slot] button.danger").first.click()
        expect(page.locator("tr.closed").first).to_contain_text("已关闭")
        page.screenshot(path=str(ARTIFACTS / "07-bookings.png"), full_page=True)
        page.get_by_label(f"{number} 取消原因").fill("护理员临时请假")
        page.locator(f'tr[data-booking="{number}"] button').click()
        expect(page.locator(f'tr[data-booking="{number}"]')).to_contain_text("已取消")

        page.goto(f"{console.url}/console/ratings")
        expect(page.locator(".chart svg rect").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "08-ratings.png"), full_page=True)
        rid = page.locator("li[data-rating]").first.get_attribute("data-rating")
        first = page.locator(f'li[data-rating="{rid}"]')
        first.get_by_role("textbox").fill("已电话联系，居民说维修师傅来得太晚")
        first.get_by_role("button", name="标记为已回访").click()
        expect(page.locator(f'li[data-rating="{rid}"]')).to_contain_text("已电话联系")

        page.goto(f"{console.url}/console/nlu")
        item = page.locator("li[data-message]").first
        item.locator("select").select_option("ask_documents")
        item.get_by_label("实体").fill("service=elderly-allowance")
        page.screenshot(path=str(ARTIFACTS / "09-nlu.png"), full_page=True)
        item.get_by_role("button", name="保存").click()
        expect(page.locator("section.card").first).to_contain_text("已纠错 1 条")

        page.goto(f"{console.url}/console/catalog?kind=bookable")
        page.screenshot(path=str(ARTIFACTS / "10-catalog.png"), full_page=True)
        page.get_by_role("link", name=re.compile("助浴")).first.click()
        expect(page.locator("h1")).to_contain_text("助浴")
        page.screenshot(path=str(ARTIFACTS / "11-service.png"), full_page=True)

        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())
        phone.goto(f"{console.url}/console/bookings?service=bathing-assistance&day={day.isoformat()}")
        phone.screenshot(path=str(ARTIFACTS / "12-bookings-phone.png"), full_page=True)
        phone.goto(f"{console.url}/console/ratings")
        phone.screenshot(path=str(ARTIFACTS / "13-ratings-phone.png"), full_page=True)

        admin = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        admin.goto(f"{console.url}/console/login")
        admin.get_by_label("用户名").fill("boss")
        admin.get_by_label("密码").fill(pw)
        admin.get_by_role("button", name="登录").click()
        admin.goto(f"{console.url}/console/catalog")
        admin.screenshot(path=str(ARTIFACTS / "14-catalog-admin.png"), full_page=False)
        admin.goto(f"{console.url}/console/nlu#retrain")
        admin.screenshot(path=str(ARTIFACTS / "15-nlu-admin.png"), full_page=True)
        browser.close()

        conv, token = resident.last["conversation_id"], resident.last["conversation_token"]
        msgs = api.get(f"/api/v1/conversations/{conv}/messages", params={"token": token}).json()
        assert any("护理员临时请假" in m["text"] for m in msgs)
