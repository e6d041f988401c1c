"""Editing a service in the console: admin only, checked like an import, written to its file, live at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.console.catalog_edit import form_values
from knowledge.loader import load_catalog
from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, settings_with_catalog_copy
from tests.factories import make_staff

SERVICE = "bathing-assistance"
PATH = f"/console/catalog/services/{SERVICE}"


@pytest.fixture
def settings(database_url: str, model_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose catalog is a copy, so an edit in a test never touches the repository's files."""
    return settings_with_catalog_copy(database_url, model_dir, tmp_path)


def _files(settings: Settings) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(settings.catalog_dir.glob("*.yml"))}


def _form(settings: Settings) -> dict[str, str]:
    return form_values(load_catalog(settings.catalog_dir).get(SERVICE))  # type: ignore[arg-type]


def _audit(console: ConsoleServer) -> list[tuple[str, str, dict[str, object]]]:
    rows = db_rows(console.database_url, "SELECT action, object_id, detail FROM audit_log ORDER BY id")
    return [(r.action, r.object_id, json.loads(r.detail) if isinstance(r.detail, str) else r.detail) for r in rows]


def test_only_administrators_see_and_use_the_form(console: ConsoleServer, settings: Settings) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    before = _files(settings)
    with console_client(console.url, "zhang", pw) as zhang:
        assert "编辑服务内容" not in zhang.get(PATH).text
        r = zhang.post(f"{PATH}/edit", data={**_form(settings), "name": "改名", "csrf": page_csrf(zhang)})
        assert r.status_code == 403
    with console_client(console.url, "boss", pw) as boss:
        page = boss.get(PATH).text
        assert "编辑服务内容" in page and "｜原件｜1份" in page and "{service_center}" in page
        forged = boss.post(f"{PATH}/edit", data={**_form(settings), "name": "改名", "csrf": "0" * 64})
        assert forged.status_code == 403
        missing = boss.post("/console/catalog/services/no-such-service/edit",
                            data={**_form(settings), "csrf": page_csrf(boss)})
        assert missing.status_code == 404
    assert _files(settings) == before
    assert [a for a, _, _ in _audit(console)] == ["login", "login"]


def test_problems_are_shown_by_field_and_nothing_is_written(console: ConsoleServer, settings: Settings) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    before = _files(settings)
    bad = {**_form(settings), "name": "", "documents": "身份证｜原件\n户口簿｜看情况｜1份",
           "where": "{no_such_office}一楼", "steps": "电话预约\n{hotline"}
    with console_client(console.url, "boss", pw) as boss:
        r = boss.post(f"{PATH}/edit", data={**bad, "csrf": page_csrf(boss, PATH)})
        assert r.status_code == 422 and "没有保存" in r.text
        assert "没有填写（必填）" in r.text  # 名称
        assert "只能填 原件/复印件/原件和复印件/电子版" in r.text  # 所需材料 第 2 项
        assert "占位符 {no_such_office} 在社区设置的 values 里没有定义" in r.text  # 办理地点
        assert "花括号不成对" in r.text  # 办理步骤
        assert r.text.count('aria-invalid="true"') == 4
        assert "户口簿｜看情况｜1份" in r.text  # what was typed is kept in the form
        assert boss.get("/console/catalog", params={"q": "助浴"}).text.count("改名") == 0
    assert _files(settings) == before
    assert "catalog_edit" not in [a for a, _, _ in _audit(console)]


def test_a_good_edit_is_written_reloaded_and_audited(console: ConsoleServer, settings: Settings) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    before = _files(settings)
    form = _form(settings)
    edited = {**form, "name": "老年人助浴上门服务", "aliases": form["aliases"] + "、上门洗澡",
              "documents": form["documents"] + "\n近期体检报告｜复印件｜1份｜三个月内",
              "steps": "1. 电话或在线预约\n2. 护理员上门评估\n3. 按约定时间上门助浴"}
    with console_client(console.url, "boss", pw) as boss:
        csrf = page_csrf(boss, PATH)
        r = boss.post(f"{PATH}/edit", data={**edited, "csrf": csrf})
        assert r.status_code == 303 and r.headers["location"] == f"{PATH}?saved=1"
        page = boss.get(r.headers["location"]).text
        assert "已保存" in page and 'action="/console/catalog/reindex"' in page
        assert "老年人助浴上门服务" in page and "近期体检报告（复印件）" in page and "护理员上门评估" in page
        assert "老年人助浴上门服务" in boss.get("/console/catalog", params={"q": "上门洗澡"}).text  # live at once
        same = boss.post(f"{PATH}/edit", data={**_form(settings), "csrf": csrf})
        assert same.headers["location"] == f"{PATH}?saved=0"
    after = _files(settings)
    assert [name for name in after if after[name] != before[name]] == ["elderly.yml"]
    svc = load_catalog(settings.catalog_dir).get(SERVICE)
    assert svc is not None and svc.name == "老年人助浴上门服务" and "上门洗澡" in svc.aliases
    assert svc.steps[0] == "电话或在线预约" and svc.documents[-1].notes == "三个月内"
    assert svc.booking is not None and svc.booking.hours == "09:00-11:30,14:00-17:00"  # untouched parts kept
    edits = [(obj, detail) for action, obj, detail in _audit(console) if action == "catalog_edit"]
    assert edits == [(SERVICE, {"fields": ["名称", "别名", "所需材料", "办理步骤"],
                                "written": [str(settings.catalog_dir / "elderly.yml")]})]
