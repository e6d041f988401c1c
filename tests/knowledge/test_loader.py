"""Loading the catalog: messages name the file, line, service and field; placeholders; opening hours."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backend.opening_hours import parse_hours
from bot.errors import DataValidationError
from knowledge.community import check_opening_hours, fill, open_minutes, render_service
from knowledge.loader import load_catalog, load_communities

FIXTURES = Path(__file__).parent / "fixtures"

GOOD = """\
services:
  - id: elderly-allowance
    name: 高龄津贴申领
    domain: 养老
    kind: info
    summary: 给高龄老人发津贴。
    eligibility:
      text: 本地户籍、年满80周岁。
    documents:
      - name: 户口簿
      - name: 身份证
        form: 原件
    where: "{service_center}"
    hours: "{service_center_hours}"
    last_reviewed: 2026-11-01
"""


@pytest.fixture
def community():
    return load_communities(FIXTURES / "communities")["test"]


def _problems(catalog_dir: Path, **kw) -> list[str]:
    with pytest.raises(DataValidationError) as exc:
        load_catalog(catalog_dir, **kw)
    return exc.value.problems


def _write(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "catalog"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_fixture_catalog_loads_with_sources():
    catalog = load_catalog(FIXTURES / "catalog")
    assert len(catalog) == 8
    assert catalog.get("elderly-allowance").name == "高龄津贴申领"
    assert catalog.sources["kinship-certificate"].name == "sample.yml"


def test_bad_field_names_file_line_service_and_field(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    directory = _write(tmp_path, "elderly.yml", GOOD.replace("form: 原件", "form: 影印件"))
    [problem] = _problems(directory, communities={})
    assert problem.startswith(
        "catalog/elderly.yml 第 12 行，服务 elderly-allowance 的字段 documents[1].form："
    )
    assert "只能是 原件/复印件/原件和复印件/电子版" in problem


def test_all_problems_are_listed_in_plain_words(tmp_path):
    text = GOOD.replace("domain: 养老", "domain: 养老院").replace("kind: info", "kind: info\n    colour: red")
    problems = _problems(_write(tmp_path, "a.yml", text + "    certificate: {issued_by_committee: maybe}\n"),
                         communities={})
    joined = "\n".join(problems)
    assert "第 4 行，服务 elderly-allowance 的字段 domain：只能是 养老/托育" in joined
    assert "字段 colour：没有这个字段" in joined
    assert "字段 certificate.issued_by_committee：应当是 true 或 false" in joined
    assert "certificate.alternative：缺少必填内容" in joined


def test_missing_kind_part_is_explained(tmp_path):
    directory = _write(tmp_path, "a.yml", GOOD.replace("kind: info", "kind: bookable"))
    [problem] = _problems(directory, communities={})
    assert "服务 elderly-allowance：" in problem and "booking" in problem


def test_unknown_placeholder_is_an_error(tmp_path, community):
    directory = _write(tmp_path, "a.yml", GOOD.replace("{service_center}", "{service_centre}"))
    [problem] = _problems(directory, communities={"test": community})
    assert "第 13 行，服务 elderly-allowance 的字段 where：占位符 {service_centre}" in problem
    # Without community settings the same file is fine.
    assert len(load_catalog(directory, communities={})) == 1


def test_placeholders_checked_against_sibling_communities(tmp_path):
    (tmp_path / "communities").mkdir()
    (tmp_path / "communities" / "test.yml").write_text(
        (FIXTURES / "communities" / "test.yml").read_text(encoding="utf-8"), encoding="utf-8")
    directory = _write(tmp_path, "a.yml", GOOD.replace("{service_center_hours}", "{service_center_hours"))
    [problem] = _problems(directory)
    assert "字段 hours：花括号不成对" in problem


def test_duplicate_ids_name_both_places(tmp_path):
    _write(tmp_path, "a.yml", GOOD)
    directory = _write(tmp_path, "b.yml", GOOD)
    [problem] = _problems(directory, communities={})
    assert "服务编号 elderly-allowance 重复" in problem
    assert "a.yml 第 2 行" in problem and "b.yml 第 2 行" in problem


def test_yaml_syntax_error_names_line(tmp_path):
    broken = GOOD.replace("    summary: 给高龄老人发津贴。", "    summary: [给高龄老人")
    directory = _write(tmp_path, "a.yml", broken)
    [problem] = _problems(directory, communities={})
    assert "a.yml 第" in problem and "YAML 格式有误" in problem


def test_duplicate_key_is_reported(tmp_path):
    directory = _write(tmp_path, "a.yml", GOOD.replace("    fees", "").replace(
        "    hours: ", "    name: 又一个名字\n    hours: "))
    [problem] = _problems(directory, communities={})
    assert "第 14 行，服务 elderly-allowance 的字段 name：这个字段写了两次" in problem


def test_fill_and_render_service(community):
    assert fill("请到{service_center}办理，电话{service_center_phone}", community) == (
        "请到测试社区党群服务中心一楼窗口（测试路1号）办理，电话0571-88880000")
    assert fill("{community_name}欢迎您", community) == "测试社区欢迎您"
    assert "{" not in fill("{no_such_value}", community)
    service = load_catalog(FIXTURES / "catalog").get("elderly-allowance")
    rendered = render_service(service, community)
    assert rendered.where.startswith("测试社区党群服务中心")
    assert "0571-88880000" in rendered.faqs[0].a
    assert rendered.id == service.id and service.where == "{service_center}"


def test_parse_hours():
    intervals = parse_hours("08:30-12:00,13:30-18:00")
    assert [(i.start, i.end) for i in intervals] == [(510, 720), (810, 1080)]
    assert open_minutes(intervals) == 8 * 60
    assert open_minutes(parse_hours("13:30～18:00，8:30-12:00")) == 8 * 60
    for bad in ("8点-12点", "12:00-08:00", "08:00-12:00,11:00-13:00", "", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_opening_hours_at_least_eight_hours():
    assert check_opening_hours("08:00-12:00,14:00-18:00") == []
    [short] = check_opening_hours("08:30-12:00,13:30-17:30")
    assert "7 小时 30 分钟" in short and "不少于8小时" in short
    assert check_opening_hours("上午开门") and "08:30" in check_opening_hours("上午开门")[0]


def test_community_with_short_hours_is_rejected(tmp_path):
    text = (FIXTURES / "communities" / "test.yml").read_text(encoding="utf-8")
    (tmp_path / "test.yml").write_text(text.replace("13:30-18:00", "13:30-16:00"), encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        load_communities(tmp_path)
    [problem] = exc.value.problems
    assert "字段 opening_hours" in problem and "不足 8 小时" in problem and "第 6 行" in problem
