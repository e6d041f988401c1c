"""The figures page in headless Chromium for a street office: summary, charts, one community, the download.

Screenshots (and the downloaded workbook) are kept in test-artifacts/console/ to look at.
"""

from __future__ import annotations

import pytest

from tests.conftest import FixedClock
from tests.console.conftest import ConsoleServer
from tests.console.figures_seeds import make_street_office, seed_month
from tests.console.test_console_browser import ARGS, ARTIFACTS, CHROMIUM

pytestmark = [pytest.mark.browser]


def test_a_street_office_reads_and_downloads_its_figures_in_a_browser(console: ConsoleServer,
                                                                      clock: FixedClock) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium; run `make browser`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    month = seed_month(console.database_url, clock.today)
    pw = make_street_office(console.database_url, "jiedao", ["default", "qinghe-village"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{console.url}/console/login")
        page.get_by_label("用户名").fill("jiedao")
        page.get_by_label("密码").fill(pw)
        page.get_by_role("button", name="登录").click()

        page.get_by_role("link", name="服务数据").click()
        expect(page.locator("h1")).to_contain_text("2 个社区合计")
        page.get_by_label("月份").fill(month.month)
        page.get_by_role("button", name="查看").click()
        expect(page.locator('[data-figure="response"]')).to_contain_text("50.0%")
        expect(page.locator('[data-figure="coverage"]')).to_contain_text("100.0%")
        expect(page.locator('[data-chart="response"] svg rect').first).to_be_visible()
        expect(page.locator("tr[data-overdue]")).to_have_count(2)
        page.screenshot(path=str(ARTIFACTS / "figures-street-office.png"), full_page=True)

        with page.expect_download() as download:
            page.get_by_role("link", name="下载月报（Excel）").click()
        saved = ARTIFACTS / "figures-monthly-report.xlsx"
        download.value.save_as(saved)
        assert load_workbook(saved)["汇总"]["E3"].value == 0.5

        page.locator("select[name=community]").select_option(label="清河村")
        page.get_by_role("button", name="查看").click()
        expect(page.locator("h1")).to_contain_text("清河村")
        expect(page.locator('[data-figure="satisfaction"]')).to_contain_text("0.0%")
        expect(page.locator("#overdue")).to_contain_text("没有超期工单")
        page.screenshot(path=str(ARTIFACTS / "figures-one-community.png"), full_page=True)

        phone = context.new_page()  # the same signed-in browser, on a phone-sized screen
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{console.url}/console/figures?month={month.month}")
        expect(phone.locator('[data-figure="completion"]')).to_contain_text("50.0%")
        phone.screenshot(path=str(ARTIFACTS / "figures-phone.png"), full_page=True)
        assert not blocked, f"the figures page breaks the console's content policy: {blocked}"
        browser.close()
