"""`linli catalog …`: validate exit codes, list --json on stdout only, export and import."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import bot.cli.catalog  # noqa: F401  (registers the commands)
from bot.cli.base import cli

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def dirs(tmp_path):
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "catalog", catalog)
    return {"CATALOG_DIR": str(catalog), "COMMUNITIES_DIR": str(FIXTURES / "communities"),
            "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING"}


def _run(env, *args):
    return CliRunner().invoke(cli, ["catalog", *args], env=env, catch_exceptions=False)


def test_validate_passes(dirs):
    result = _run(dirs, "validate")
    assert result.exit_code == 0
    assert result.stdout.strip() == "目录校验通过：8 项服务"


def test_validate_fails_with_problem_list(dirs, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "catalog", broken)
    path = broken / "sample.yml"
    text = path.read_text(encoding="utf-8").replace("kind: request", "kind: complaint")
    path.write_text(text, encoding="utf-8")
    result = _run(dirs, "validate", str(broken))
    assert result.exit_code == 1
    assert "服务 home-repair 的字段 kind：只能是 info/bookable/certificate/request" in result.stderr
    assert "sample.yml 第 " in result.stderr and result.stdout == ""


def test_list_json_prints_only_a_json_array(dirs):
    result = _run(dirs, "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows[0] == {"id": "elderly-allowance", "name": "高龄津贴申领", "kind": "info", "domain": "养老"}
    assert len(rows) == 8 and all(set(r) == {"id", "name", "kind", "domain"} for r in rows)


def test_list_as_text(dirs):
    result = _run(dirs, "list")
    assert result.exit_code == 0 and "kinship-certificate" in result.stdout and "共 8 项服务" in result.stdout


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trip(dirs, tmp_path, suffix):
    sheet = tmp_path / f"catalog{suffix}"
    exported = _run(dirs, "export", "--out", str(sheet))
    assert exported.exit_code == 0 and "已导出 8 项服务" in exported.stdout
    unchanged = _run(dirs, "import", str(sheet))
    assert unchanged.exit_code == 0 and "目录内容没有变化" in unchanged.stdout
    out = tmp_path / "fresh"
    fresh = _run(dirs, "import", str(sheet), "--out", str(out))
    assert fresh.exit_code == 0 and "表格校验通过：8 项服务" in fresh.stdout
    assert _run(dirs, "validate", str(out)).exit_code == 0


def test_import_reports_row_errors(dirs, tmp_path):
    sheet = tmp_path / "c.csv"
    _run(dirs, "export", "--out", str(sheet))
    text = sheet.read_text(encoding="utf-8-sig").replace(",咨询,", ",咨讯,", 1)
    sheet.write_text(text, encoding="utf-8-sig")
    result = _run(dirs, "import", str(sheet), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "第 2 行（编号 elderly-allowance）：「类型」只能填 info/bookable/" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_export_refuses_other_formats(dirs, tmp_path):
    assert _run(dirs, "export", "--out", str(tmp_path / "c.txt")).exit_code == 1
