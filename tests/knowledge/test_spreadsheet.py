"""The catalog as a spreadsheet: round trip, and row-level errors staff can act on."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.errors import DataValidationError
from knowledge.loader import load_catalog, load_communities
from knowledge.spreadsheet import HEADERS, export_catalog, import_sheet, service_to_row, write_catalog

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(FIXTURES / "catalog")


@pytest.fixture(scope="module")
def communities():
    return load_communities(FIXTURES / "communities")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_round_trip_gives_equal_services(tmp_path, catalog, communities, suffix):
    sheet = tmp_path / f"catalog{suffix}"
    export_catalog(catalog.services, sheet)
    assert import_sheet(sheet, communities) == catalog.services
    written = write_catalog(import_sheet(sheet, communities), tmp_path / "out", communities)
    assert [p.name for p in written] == sorted({"elderly.yml", "disability.yml", "childcare.yml",
                                                "certificates.yml", "convenience.yml", "legal.yml"})
    again = load_catalog(tmp_path / "out", communities)
    assert sorted(again.services, key=lambda s: s.id) == sorted(catalog.services, key=lambda s: s.id)


def test_export_writes_readable_cells(tmp_path, catalog):
    row = service_to_row(catalog.get("elderly-allowance"))
    assert row["所需材料"].split("\n")[1] == "户口簿｜原件和复印件｜1份"
    assert row["所需材料"].split("\n")[2] == "老人本人的银行卡｜原件｜1份｜津贴打到这张卡上"
    assert row["常见问题"].startswith("问：每月能领多少？\n答：以当地标准为准。")
    assert row["类型"] == "咨询" and row["别名"] == "高龄补贴、高龄经贴"
    assert service_to_row(catalog.get("childcare-service"))["预约星期"] == "周一、周二、周三、周四、周五"
    export_catalog(catalog.services, tmp_path / "c.xlsx")
    ws = load_workbook(tmp_path / "c.xlsx").active
    assert [c.value for c in ws[1]] == list(HEADERS)
    assert ws.max_row == len(catalog) + 1


def test_import_into_existing_catalog_keeps_unchanged_files(tmp_path, catalog, communities):
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "catalog", target)
    before = (target / "sample.yml").read_text(encoding="utf-8")
    sheet = tmp_path / "c.csv"
    export_catalog(catalog.services, sheet)
    assert write_catalog(import_sheet(sheet, communities), target, communities) == []
    assert (target / "sample.yml").read_text(encoding="utf-8") == before

    rows = _rows(sheet)
    rows[0]["名称"] = "高龄津贴申请"
    _write_rows(sheet, rows)
    assert write_catalog(import_sheet(sheet, communities), target, communities) == [target / "sample.yml"]
    updated = load_catalog(target, communities)
    assert updated.get("elderly-allowance").name == "高龄津贴申请" and len(updated) == len(catalog)
    assert (target / "sample.yml").read_text(encoding="utf-8").startswith("# 测试用服务目录。")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _import_problems(tmp_path, catalog, communities, edit) -> list[str]:
    sheet = tmp_path / "c.csv"
    export_catalog(catalog.services, sheet)
    rows = _rows(sheet)
    edit(rows)
    _write_rows(sheet, rows)
    with pytest.raises(DataValidationError) as exc:
        import_sheet(sheet, communities)
    return exc.value.problems


def test_row_errors_name_row_id_and_column(tmp_path, catalog, communities):
    def edit(rows):
        rows[3]["类型"] = "咨讯"
        rows[0]["所需材料"] = "户口簿｜原件｜很多份"
        rows[1]["最后审核日期"] = "去年"
        rows[2]["常见问题"] = "问：能办吗"
        rows[4]["领域"] = "养老院"
        rows[5]["编号"] = rows[0]["编号"]
        rows[6]["办理地点"] = "{service_centre}"
        rows[7]["类型"] = "预约"
        rows[1]["结构化条件"] = json.dumps(
            [{"fact": "agee", "op": ">=", "value": 80, "question": "q", "fail_reason": "f"}])
        rows[2]["预约时间"] = "9点-11点"
        rows[4]["名称"] = ""
        rows[0]["上门服务"] = "也许"

    problems = _import_problems(tmp_path, catalog, communities, edit)
    expected = [
        "第 2 行（编号 elderly-allowance）：「所需材料」第 1 项的份数“很多份”应写成 1份 这样",
        "第 2 行（编号 elderly-allowance）：「上门服务」只能填 是 或 否",
        "第 3 行（编号 disability-two-subsidies）：「最后审核日期」应写成 2024-05-01 这样的日期",
        "第 3 行（编号 disability-two-subsidies）：「结构化条件」第 1 项的 fact：只能填 age/hukou_local",
        "第 4 行（编号 bathing-assistance）：「常见问题」第 1 个问题“能办吗”没有“答：”",
        "第 4 行（编号 bathing-assistance）：「预约时间」开放时间“9点-11点”里的“9点”不是时刻",
        "第 5 行（编号 childcare-service）：「类型」只能填 info/bookable/certificate/request"
        "（或 咨询/预约/证明/诉求）",
        "第 6 行（编号 residence-certificate）：「领域」只能填 养老/托育/助残",
        "第 6 行（编号 residence-certificate）：「名称」没有填写（必填）",
        "第 7 行（编号 elderly-allowance）：「编号」与第 2 行重复",
        "第 8 行（编号 home-repair）：「办理地点」占位符 {service_centre}",
        "第 9 行（编号 legal-consultation）：类型为预约时，要填写预约相关的列",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in problems), (line, problems)
    assert len(problems) == len(expected)


def test_headers_are_checked(tmp_path):
    sheet = tmp_path / "c.csv"
    sheet.write_text("编号,名称,所需材科\nx,y,z\n", encoding="utf-8-sig")
    with pytest.raises(DataValidationError) as exc:
        import_sheet(sheet)
    joined = "\n".join(exc.value.problems)
    assert "表头「所需材科」不认识" in joined and "缺少「领域」这一列" in joined


def test_staff_friendly_cell_spellings(tmp_path, catalog, communities):
    sheet = tmp_path / "c.csv"
    export_catalog(catalog.services, sheet)
    rows = _rows(sheet)
    rows[0]["办理步骤"] = "\n".join(
        ["1. 带齐材料到社区窗口申请", "2、社区核对材料并录入系统", "（3）街道审核、区民政部门审批"])
    rows[0]["类型"] = "info"
    rows[0]["最后审核日期"] = "2026年11月1日"
    rows[0]["别名"] = "高龄补贴，高龄经贴"
    rows[0]["所需材料"] = "老人身份证\n户口簿｜原件和复印件｜一份\n老人本人的银行卡｜｜1｜津贴打到这张卡上"
    rows[3]["预约星期"] = "周一至周五"
    _write_rows(sheet, rows)
    assert import_sheet(sheet, communities) == catalog.services


def test_csv_saved_as_gbk_is_read(tmp_path, catalog, communities):
    sheet = tmp_path / "c.csv"
    export_catalog(catalog.services, sheet)
    rows = _rows(sheet)
    with open(sheet, "w", encoding="gb18030", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_sheet(sheet, communities) == catalog.services


def test_failed_merge_writes_nothing(tmp_path, catalog, communities):
    target = tmp_path / "catalog"
    shutil.copytree(FIXTURES / "catalog", target)
    before = (target / "sample.yml").read_text(encoding="utf-8")
    changed = catalog.get("legal-consultation").model_copy(update={"where": "{nowhere}"})
    added = changed.model_copy(update={"id": "new-service", "where": "x"})
    with pytest.raises(DataValidationError) as exc:
        write_catalog([added, changed], target, communities)
    assert any(p.startswith(f"{target / 'sample.yml'} 第 ") and "{nowhere}" in p for p in exc.value.problems)
    assert (target / "sample.yml").read_text(encoding="utf-8") == before
    assert not (target / "legal.yml").exists()


def test_structured_conditions_read_as_rules_not_json(tmp_path, catalog, communities):
    cells = [service_to_row(s)["结构化条件"] for s in catalog.services]
    assert any(c for c in cells) and not any(c.startswith("[") for c in cells)
    row = service_to_row(catalog.get("disability-two-subsidies"))["结构化条件"]
    lines = [line.split("｜") for line in row.split("\n")]
    assert [len(parts) for parts in lines] == [3, 3] and lines[0][0] == "低保家庭 = 是"
    assert lines[1][0].startswith("残疾等级 属于 1、2") and lines[1][1].startswith("问：")

    def edit(rows):
        rows[0]["结构化条件"] = "年纪 ≥ 60｜问：您多大了？｜不符合：要满60岁"
        rows[1]["结构化条件"] = "年龄大于六十"

    problems = _import_problems(tmp_path, catalog, communities, edit)
    assert any("「结构化条件」第 1 条的“年纪”不是可以问的情况" in p for p in problems), problems
    assert any("「结构化条件」第 1 条应写成“年龄 ≥ 60｜问：" in p for p in problems), problems
