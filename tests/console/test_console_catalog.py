"""The catalog in the console: search and filters, detail, admin-only spreadsheet import and reindex."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from bot.config import Settings
from knowledge.loader import load_catalog
from knowledge.spreadsheet import HEADERS, export_catalog
from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, settings_with_catalog_copy
from tests.factories import make_staff


@pytest.fixture
def settings(database_url: str, model_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose catalog is a copy, so an import in a test never touches the repository's files."""
    return settings_with_catalog_copy(database_url, model_dir, tmp_path)


def _sheet(settings: Settings, tmp_path: Path, change: dict[str, str], service: str = "bathing-assistance") -> bytes:
    """The catalog exported as CSV with some cells of one service's row changed."""
    path = tmp_path / "catalog.csv"
    export_catalog(load_catalog(settings.catalog_dir).services, path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for row in rows:
        if row["编号"] == service:
            row.update(change)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(HEADERS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_search_filter_and_detail(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/catalog")
        assert page.status_code == 200 and 'data-service="bathing-assistance"' in page.text
        found = zhang.get("/console/catalog", params={"q": "助浴"}).text
        assert 'data-service="bathing-assistance"' in found and 'data-service="elderly-allowance"' not in found
        booked = zhang.get("/console/catalog", params={"kind": "bookable"}).text
        assert 'data-service="bathing-assistance"' in booked and 'data-service="elderly-allowance"' not in booked
        health = zhang.get("/console/catalog", params={"domain": "卫生"}).text
        assert 'data-service="bathing-assistance"' not in health
        detail = zhang.get("/console/catalog/services/bathing-assistance")
        assert detail.status_code == 200 and "办理地点" in detail.text and "查看时段" in detail.text
        assert "{" not in detail.text.split("<main>")[1].split("</main>")[0]  # placeholders filled in
        assert zhang.get("/console/catalog/services/no-such-service").status_code == 404
        assert "导入表格" not in page.text and "重建索引" not in page.text  # admin only


def test_admin_imports_a_sheet_and_row_errors_are_listed(console: ConsoleServer, settings: Settings,
                                                         tmp_path: Path) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    make_staff(console.database_url, "zhang", "default", password=pw)
    good = _sheet(settings, tmp_path, {"名称": "老年人助浴上门服务"})
    bad = _sheet(settings, tmp_path, {"类型": "随便", "最后审核日期": "去年"})
    before = {p.name: p.read_text(encoding="utf-8") for p in settings.catalog_dir.glob("*.yml")}
    with console_client(console.url, "zhang", pw) as zhang:
        r = zhang.post("/console/catalog/import", data={"csrf": page_csrf(zhang)},
                       files={"sheet": ("catalog.csv", good, "text/csv")})
        assert r.status_code == 403
    with console_client(console.url, "boss", pw) as boss:
        csrf = page_csrf(boss, "/console/catalog")
        assert boss.post("/console/catalog/import", data={"csrf": "0" * 64},
                         files={"sheet": ("catalog.csv", good, "text/csv")}).status_code == 403
        refused = boss.post("/console/catalog/import", data={"csrf": csrf},
                            files={"sheet": ("catalog.csv", bad, "text/csv")})
        assert refused.status_code == 422 and "表格校验未通过" in refused.text
        assert "编号 bathing-assistance" in refused.text and "「类型」" in refused.text
        assert {p.name: p.read_text(encoding="utf-8") for p in settings.catalog_dir.glob("*.yml")} == before
        wrong = boss.post("/console/catalog/import", data={"csrf": csrf},
                          files={"sheet": ("notes.txt", b"hello", "text/plain")})
        assert wrong.status_code == 422 and ".xlsx" in wrong.text
        done = boss.post("/console/catalog/import", data={"csrf": csrf},
                         files={"sheet": ("catalog.csv", good, "text/csv")})
        assert done.status_code == 200 and "已导入" in done.text and "已更新" in done.text
        assert "老年人助浴上门服务" in boss.get("/console/catalog", params={"q": "上门"}).text  # live at once
    assert load_catalog(settings.catalog_dir).get("bathing-assistance").name == "老年人助浴上门服务"  # type: ignore[union-attr]
    actions = [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("catalog_import") == 1


def test_admin_reindex_runs_in_the_background(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    make_staff(console.database_url, "zhang", "default", password=pw)
    calls: list[Settings] = []

    def fake(settings: Settings) -> dict[str, Any]:
        calls.append(settings)
        time.sleep(0.2)
        return {"version": "v-0123456789abcdef", "services": 80, "passages": 900, "seconds": 12.5}

    console.app.state.console_reindex = fake
    with httpx.Client(base_url=console.url) as anonymous:
        assert anonymous.post("/console/catalog/reindex", data={"csrf": "x"}).headers["location"] == "/console/login"
    with console_client(console.url, "zhang", pw) as zhang:
        assert zhang.post("/console/catalog/reindex", data={"csrf": page_csrf(zhang)}).status_code == 403
    with console_client(console.url, "boss", pw) as boss:
        assert boss.post("/console/catalog/reindex", data={"csrf": "0" * 64}).status_code == 403
        assert boss.post("/console/catalog/reindex", data={"csrf": page_csrf(boss)}).status_code == 303
        for _ in range(100):
            page = boss.get("/console/catalog").text
            if 'data-status="完成"' in page:
                break
            time.sleep(0.05)
        assert "v-0123456789abcdef" in page and "80 项服务" in page
    assert len(calls) == 1
    actions = [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("reindex") == 1


def test_the_catalog_downloads_as_a_readable_sheet_that_imports_back(console: ConsoleServer,
                                                                    settings: Settings) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    with console_client(console.url, "boss", pw) as boss:
        page = boss.get("/console/catalog").text
        assert "/console/catalog/export?" in page and "linli catalog export" not in page
        r = boss.get("/console/catalog/export")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(r.content)).active
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == list(HEADERS) and len(rows) == len(load_catalog(settings.catalog_dir)) + 1
        conditions = [str(row[HEADERS.index("结构化条件")] or "") for row in rows[1:]]
        assert any(c.startswith("年龄 ≥ ") for c in conditions)
        assert not any(c.lstrip().startswith(("[", "{")) for c in conditions)  # no raw JSON anywhere
        elderly = boss.get("/console/catalog/export", params={"domain": "养老"}).content
        assert len(list(load_workbook(io.BytesIO(elderly)).active.iter_rows())) < len(rows)
        back = boss.post("/console/catalog/import", data={"csrf": page_csrf(boss, "/console/catalog")},
                         files={"sheet": ("服务目录.xlsx", r.content)})
        assert back.status_code == 200 and "目录内容没有变化" in back.text, back.text[-2000:]
