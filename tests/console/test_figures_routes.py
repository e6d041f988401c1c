"""The figures page and the monthly spreadsheet: a community's staff, a street office over two communities,
and the numbers of a known month (tests/console/figures_seeds.py) on the page and in the workbook."""

from __future__ import annotations

import io
import re

import httpx
from openpyxl import load_workbook

from tests.conftest import FixedClock
from tests.console.conftest import ConsoleServer
from tests.console.figures_seeds import make_street_office, seed_month
from tests.console.helpers import console_client
from tests.factories import make_staff


def figure(html: str, name: str) -> str:
    """The text of one summary figure, spaces collapsed."""
    found = re.search(rf'data-figure="{name}">(.*?)</dd>', html, re.S)
    assert found, name
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def row(html: str, key: str) -> str:
    """The text of one breakdown row, spaces collapsed."""
    found = re.search(rf'data-row="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert found, key
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_community_staff_see_their_months_figures_and_overdue_orders(console: ConsoleServer,
                                                                     clock: FixedClock) -> None:
    month = seed_month(console.database_url, clock.today)
    pw = make_staff(console.database_url, "zhang", "default")
    with console_client(console.url, "zhang", pw) as zhang:
        html = zhang.get("/console/figures", params={"month": month.month}).text
        assert "服务数据 · 幸福里社区" in html
        # A1 in time; A2 acknowledged late; A3 never. Only A1 is closed, in time.
        assert figure(html, "response") == "33.3% 1/3"
        assert figure(html, "completion") == "33.3% 1/3"
        assert figure(html, "satisfaction") == "100.0% 1/1"
        assert figure(html, "coverage") == "100.0% 1/1"
        assert figure(html, "median_response") == "3.5 小时"  # 1 h and 6 h
        assert figure(html, "median_completion") == "24.0 小时"
        assert figure(html, "filed") == "3" and figure(html, "overdue") == "2"
        assert row(html, "投诉").startswith("投诉 1 0.0% 0/1 0.0% 0/1 —")
        assert html.count("<svg") == 4 and 'data-chart="communities"' not in html
        overdue = re.findall(r'data-overdue="([^"]+)"', html)
        assert overdue == [month.numbers["A3"], month.numbers["A2"]]  # A3 missed its deadline first
        assert f'href="/console/work-orders/{month.numbers["A3"]}"' in html
        assert "未按时受理" in html and "超过办结时限" in html
        assert "13800001234" not in html and "清河村" not in html
        assert "（满意 + 非常满意）÷ 本期收到的全部工单和预约评价" in html
        assert zhang.get("/console/figures", params={"community": "qinghe-village"}).status_code == 404


def test_a_street_office_sees_its_communities_together_and_one_by_one(console: ConsoleServer,
                                                                      clock: FixedClock) -> None:
    month = seed_month(console.database_url, clock.today)
    make_staff(console.database_url, "wang", "elsewhere")
    pw = make_street_office(console.database_url, "jiedao", ["default", "qinghe-village"])
    with console_client(console.url, "jiedao", pw) as street:
        html = street.get("/console/figures", params={"month": month.month}).text
        assert "服务数据 · 2 个社区合计" in html and "街道（多个社区）" in html
        assert figure(html, "response") == "50.0% 2/4"
        assert figure(html, "completion") == "50.0% 2/4"
        assert figure(html, "satisfaction") == "50.0% 1/2"
        assert figure(html, "coverage") == "100.0% 2/2"
        assert figure(html, "median_response") == "1.0 小时"  # 0.5, 1 and 6 h
        assert figure(html, "median_completion") == "13.5 小时"  # 3 and 24 h
        assert row(html, "qinghe-village").startswith("清河村 1 100.0% 1/1 100.0% 1/1 0.0% 0/1 100.0% 1/1")
        assert 'data-chart="communities"' in html and html.count("<svg") == 5
        # Order pages belong to each community's staff: the street office reads the numbers without links.
        assert month.numbers["A3"] in html and "/console/work-orders/" not in html
        one = street.get("/console/figures", params={"month": month.month, "community": "qinghe-village"}).text
        assert figure(one, "response") == "100.0% 1/1" and figure(one, "satisfaction") == "0.0% 0/1"
        assert "没有超期工单" in one
        assert street.get("/console/figures", params={"community": "elsewhere"}).status_code == 404
        # Other pages are each community's own: they open for a street office but show it none of their rows.
        for path in ("/console/", "/console/work-orders", "/console/nlu"):
            got = street.get(path)
            assert got.status_code == 200 and month.numbers["A3"] not in got.text, path
        ratings = street.get("/console/ratings")  # per community: a street office reads 满意率 here instead
        assert ratings.status_code == 303 and ratings.headers["location"] == "/console/figures"


def test_the_monthly_report_is_a_spreadsheet_with_chinese_headings(console: ConsoleServer, clock: FixedClock) -> None:
    month = seed_month(console.database_url, clock.today)
    pw = make_street_office(console.database_url, "jiedao", ["default", "qinghe-village"])
    with console_client(console.url, "jiedao", pw) as street:
        page = street.get("/console/figures", params={"month": month.month}).text
        assert f'href="/console/figures/report.xlsx?month={month.month}"' in page
        got = street.get("/console/figures/report.xlsx", params={"month": month.month})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'filename="linli-figures-all-{month.month}.xlsx"' in got.headers["content-disposition"]
    book = load_workbook(io.BytesIO(got.content))
    assert book.sheetnames == ["汇总", "按社区", "按类别", "按周", "超期工单", "口径说明"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert "2 个社区合计" in summary[0][0]
    assert summary[1][:5] == ("分组", "新收工单", "按时受理", "应计受理", "按时响应率")
    assert summary[2][:14] == ("合计", 4, 2, 4, 0.5, 2, 4, 0.5, 1, 2, 0.5, 2, 2, 1.0)
    assert summary[2][14:] == (1.0, 13.5)
    assert book["汇总"]["E3"].number_format == "0.0%"
    communities = {r[0]: r for r in book["按社区"].iter_rows(min_row=2, values_only=True)}
    assert communities["幸福里社区"][1:5] == (3, 1, 3, 1 / 3)
    overdue = list(book["超期工单"].iter_rows(values_only=True))
    assert overdue[0][:4] == ("工单号", "社区", "类别", "状态")
    assert [r[0] for r in overdue[1:]] == [month.numbers["A3"], month.numbers["A2"]]
    assert overdue[1][8] == "未按时受理、超过办结时限" and overdue[2][8] == "超过办结时限"
    assert "13800001234" not in str([list(ws.values) for ws in book.worksheets])


def test_figures_need_a_session_and_stay_in_scope_for_exports(console: ConsoleServer, clock: FixedClock) -> None:
    seed_month(console.database_url, clock.today)
    pw = make_staff(console.database_url, "li", "qinghe-village")
    with httpx.Client(base_url=console.url) as anonymous:
        assert anonymous.get("/console/figures").headers["location"] == "/console/login"
        assert anonymous.get("/console/figures/report.xlsx").headers["location"] == "/console/login"
    with console_client(console.url, "li", pw) as li:
        assert li.get("/console/figures/report.xlsx", params={"community": "default"}).status_code == 404
        own = li.get("/console/figures/report.xlsx", params={"community": "qinghe-village", "month": "bad"})
        assert own.status_code == 200
        names = [r[0] for r in load_workbook(io.BytesIO(own.content))["按社区"].iter_rows(min_row=2, values_only=True)]
        assert names == ["清河村"]
