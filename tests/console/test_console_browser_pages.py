"""The bookings, ratings, NLU review, work-order and catalog pages in headless Chromium, with screenshots to look at."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from tests.conftest import FixedClock, next_week
from tests.console.conftest import ConsoleServer
from tests.console.helpers import seed_work_order, settings_with_catalog_copy
from tests.console.review_seeds import seed_message, seed_rating
from tests.console.test_console_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.factories import make_staff
from tests.resident import Resident

pytestmark = [pytest.mark.browser]


@pytest.fixture
def settings(database_url: str, model_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose catalog is a copy, so the edit form saved here never touches the repository's files."""
    return settings_with_catalog_copy(database_url, model_dir, tmp_path)


def test_staff_pages_render_and_work_in_a_browser(console: ConsoleServer, clock: FixedClock) -> None:
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
    order, _ = seed_work_order(console.database_url, "default", description="小区东门路灯不亮，晚上老人出门看不清")
    seed_work_order(console.database_url, "default", category="环境卫生", overdue=True, description="垃圾三天没人收")
    day = next_week(clock.today, 2)  # 下周三: open for 助浴 whatever the weekday of the run
    with sync_playwright() as p, httpx.Client(base_url=console.url, timeout=30) as api:
        resident = Resident(api)
        resident.say("我想预约下周三下午的助浴服务")
        resident.press_first()
        for answer in ("1位", "孙阿姨", "13500001111"):
            resident.say(answer)
        resident.press("确认")
        number = re.search(r"YY\d{11}", resident.text).group(0)  # type: ignore[union-attr]

        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
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

        page.get_by_label("每天开放时间").fill("09:00-12:00")
        page.get_by_role("button", name="保存开放时间").click()
        expect(page.locator("#hours .error")).to_contain_text("不足 8 小时")
        page.locator("#hours").screenshot(path=str(ARTIFACTS / "16-opening-hours-refused.png"))
        page.get_by_label("每天开放时间").fill("08:00-12:00,13:30-18:30")
        page.get_by_role("button", name="保存开放时间").click()
        expect(page.locator("#hours")).to_contain_text("设置文件中的原时间")
        page.screenshot(path=str(ARTIFACTS / "16-opening-hours.png"), full_page=True)

        page.goto(f"{console.url}/console/work-orders/{order}")
        page.get_by_label("承办部门或人员").fill("物业服务中心")
        page.get_by_role("button", name="分派并通知居民").click()
        expect(page.locator("h1 .tag.blue")).to_contain_text("已受理")
        expect(page.locator("dd[data-assignee]")).to_contain_text("物业服务中心")
        page.screenshot(path=str(ARTIFACTS / "17-work-order-assigned.png"), full_page=True)
        page.goto(f"{console.url}/console/work-orders")
        page.get_by_label("承办").select_option("物业服务中心")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("li.item")).to_have_count(1)
        expect(page.locator("li.item")).to_contain_text("承办：物业服务中心")
        page.screenshot(path=str(ARTIFACTS / "18-work-orders-by-assignee.png"), full_page=True)

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
        admin.goto(f"{console.url}/console/catalog/services/bathing-assistance#edit")
        admin.locator('#edit [name="name"]').fill("")
        admin.locator('#edit [name="documents"]').fill("身份证｜原件｜1份\n户口簿｜看情况｜1份")
        admin.get_by_role("button", name="保存").click()
        expect(admin.locator("#edit .field-error").first).to_be_visible()
        admin.locator("#edit").screenshot(path=str(ARTIFACTS / "19-service-edit-refused.png"))
        admin.locator('#edit [name="name"]').fill("老年人助浴上门服务")
        admin.locator('#edit [name="documents"]').fill("身份证｜原件｜1份\n户口簿｜原件｜1份｜本人或代办人携带")
        admin.get_by_role("button", name="保存").click()
        expect(admin.locator("#saved")).to_contain_text("已保存")
        expect(admin.locator("h1")).to_contain_text("老年人助浴上门服务")
        admin.screenshot(path=str(ARTIFACTS / "20-service-saved.png"), full_page=False)
        assert not blocked, f"a console page breaks its own content policy: {blocked}"
        browser.close()

        conv, token = resident.last["conversation_id"], resident.last["conversation_token"]
        msgs = api.get(f"/api/v1/conversations/{conv}/messages", params={"token": token}).json()
        assert any("护理员临时请假" in m["text"] for m in msgs)
