"""The catalog as a spreadsheet (xlsx or csv) for staff who keep it in Excel or WPS: one row per service.

Export writes Chinese column headers and one cell per field; lists are written one item a line
(材料: "户口簿｜原件｜1份｜备注"; 常见问题: "问：…" / "答：…"; 结构化条件: "年龄 ≥ 60｜问：…｜不符合：…",
never JSON). Import reads that format back, checks every
row and reports problems by row and column in plain Chinese, so the person who filled the sheet can fix
them. The imported services are then written back into the catalog's YAML files.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
import tempfile
from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cn2an
import yaml
from pydantic import ValidationError

from bot.backend.opening_hours import parse_hours
from bot.errors import DataValidationError
from knowledge.loader import describe_error, display_path, load_catalog, placeholder_problems
from knowledge.schema import CommunitySettings, Service

# (header, the schema path it fills). The order is the column order of an exported sheet.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("编号", ("id",)), ("名称", ("name",)), ("别名", ("aliases",)), ("领域", ("domain",)),
    ("类型", ("kind",)), ("简介", ("summary",)), ("办理条件", ("eligibility", "text")),
    ("条件关系", ("eligibility", "mode")), ("结构化条件", ("eligibility", "conditions")),
    ("条件已完整", ("eligibility", "complete")),
    ("所需材料", ("documents",)), ("办理步骤", ("steps",)), ("办理地点", ("where",)),
    ("办理时间", ("hours",)), ("费用", ("fees",)), ("办理时限", ("processing_time",)),
    ("网上办理", ("online",)), ("政策依据", ("policy_basis",)), ("常见问题", ("faqs",)),
    ("最后审核日期", ("last_reviewed",)),
    ("居委会是否开具", ("certificate", "issued_by_committee")),
    ("证明替代办法", ("certificate", "alternative")),
    ("证明办理地点", ("certificate", "where")),
    ("预约单位", ("booking", "unit")),
    ("预约时段分钟", ("booking", "slot_minutes")), ("每时段人数", ("booking", "capacity")),
    ("每次预约人数", ("booking", "max_people")), ("上门服务", ("booking", "home_visit")),
    ("预约时间", ("booking", "hours")), ("预约星期", ("booking", "weekdays")),
    ("诉求类别", ("request", "category")),
)
HEADERS = tuple(h for h, _ in COLUMNS)
REQUIRED_HEADERS = (
    "编号", "名称", "领域", "类型", "简介", "办理条件", "办理地点", "办理时间", "最后审核日期",
)
_WIDE = ("简介", "办理条件", "所需材料", "办理步骤", "常见问题", "证明替代办法", "结构化条件")
_BY_PATH = {path: header for header, path in COLUMNS}

KINDS = {"info": "info", "bookable": "bookable", "certificate": "certificate", "request": "request",
         "咨询": "info", "预约": "bookable", "证明": "certificate", "诉求": "request"}
KIND_LABELS = {"info": "咨询", "bookable": "预约", "certificate": "证明", "request": "诉求"}
# What a booking takes of a slot (see schema.Booking.unit): places for people, or a whole room.
UNITS = {"place": "place", "room": "room", "按人": "place", "按人数": "place", "整间": "room", "整场": "room"}
UNIT_LABELS = {"place": "按人", "room": "整间"}
_MODES = {"全部满足": "all", "all": "all", "满足其一": "any", "满足任一": "any", "any": "any"}
_TRUE = {"是", "true", "yes", "y", "1", "对", "√", "有"}
_FALSE = {"否", "false", "no", "n", "0", "不", "×", "无"}
_WEEKDAYS = "一二三四五六日"
_SEP = "｜"
_LIST_SPLIT = re.compile(r"[、,，;；\n]+")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.、．)）]|[（(]\d{1,2}[)）]|[①-⑳])\s*")


class RowError(ValueError):
    """A cell that cannot be read; the message is said to staff as is."""


# ---- export ------------------------------------------------------------------------------------------


def _weekdays_cell(days: list[int]) -> str:
    return "每天" if days == list(range(7)) else "、".join(f"周{_WEEKDAYS[d]}" for d in days)


# 结构化条件, one condition a line, the way staff read a rule: "年龄 ≥ 60｜问：您今年多大年纪？｜不符合：…".
FACT_LABELS = {"age": "年龄", "hukou_local": "本地户籍", "residence_local": "本社区居住",
               "disability_grade": "残疾等级", "low_income": "低保家庭", "special_hardship": "特困人员",
               "child_age_months": "孩子月龄",
               "employed": "在职", "living_alone": "独居", "insured": "已参保"}
_BOOL_FACTS = {"hukou_local", "residence_local", "low_income", "special_hardship", "employed", "living_alone",
               "insured"}
OP_LABELS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠", "in": "属于"}
_OPS = {**{v: k for k, v in OP_LABELS.items()}, **{k: k for k in OP_LABELS}, "＝": "==", "＞": ">", "＜": "<"}
_CONDITION = re.compile(r"^\s*(?P<fact>[^\s<>=!≥≤≠＝＞＜]+?)\s*"
                        r"(?:\s(?P<word>in)\s|(?P<op>属于|>=|<=|==|!=|≥|≤|≠|=|＝|>|＞|<|＜))\s*(?P<value>.+?)\s*$")


def _condition_value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def condition_line(c: Any) -> str:
    """One structured condition as a readable line (no JSON): 年龄 ≥ 60｜问：…｜不符合：…."""
    rule = f"{FACT_LABELS.get(c.fact, c.fact)} {OP_LABELS[c.op]} {_condition_value(c.value)}"
    return _SEP.join([rule, f"问：{c.question}", f"不符合：{c.fail_reason}"])


def service_to_row(s: Service) -> dict[str, Any]:
    """One service as a spreadsheet row keyed by Chinese header."""
    e, c, b, r = s.eligibility, s.certificate, s.booking, s.request
    docs = [_SEP.join([d.name, d.form, f"{d.count}份", *([d.notes] if d.notes else [])]) for d in s.documents]
    return {
        "编号": s.id, "名称": s.name, "别名": "、".join(s.aliases), "领域": s.domain,
        "类型": KIND_LABELS[s.kind], "简介": s.summary, "办理条件": e.text,
        "条件关系": "满足其一" if e.mode == "any" else ("全部满足" if e.conditions else ""),
        "结构化条件": "\n".join(condition_line(x) for x in e.conditions),
        "条件已完整": "是" if e.complete else "",
        "所需材料": "\n".join(docs), "办理步骤": "\n".join(s.steps),
        "办理地点": s.where, "办理时间": s.hours, "费用": s.fees, "办理时限": s.processing_time,
        "网上办理": s.online, "政策依据": s.policy_basis,
        "常见问题": "\n".join(f"问：{f.q}\n答：{f.a}" for f in s.faqs),
        "最后审核日期": s.last_reviewed.isoformat(),
        "居委会是否开具": ("是" if c.issued_by_committee else "否") if c else "",
        "证明替代办法": c.alternative if c else "", "证明办理地点": c.where if c else "",
        "预约单位": UNIT_LABELS[b.unit] if b else "",
        "预约时段分钟": b.slot_minutes if b else "", "每时段人数": b.capacity if b else "",
        "每次预约人数": b.max_people if b else "", "上门服务": ("是" if b.home_visit else "否") if b else "",
        "预约时间": (b.hours or "") if b else "", "预约星期": _weekdays_cell(b.weekdays) if b else "",
        "诉求类别": r.category if r else "",
    }


def fill_text_sheet(ws: Any, headings: Sequence[str], rows: Iterable[Sequence[object]], *,
                    wide: Container[str] = (), freeze: str = "A2", narrow_width: int = 16) -> None:
    """Fill an openpyxl sheet the way staff read it in Excel or WPS: bold headings, wrapped cells stored as
    text (numbers keep their leading zeros, a phone number never becomes 1.38E+10), wide columns for the
    `wide` headings, the heading row (and columns before `freeze`) kept in view. Shared by every export."""
    from openpyxl.styles import Alignment, Font

    ws.append(list(headings))
    for row in rows:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@"
    for i, heading in enumerate(headings, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 40 if heading in wide else narrow_width
    ws.freeze_panes = freeze


def export_catalog(services: list[Service], path: Path) -> None:
    """Write the services to `path`, an .xlsx or .csv file chosen by its suffix."""
    rows = [service_to_row(s) for s in services]
    if Path(path).suffix.lower() == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(HEADERS))
            writer.writeheader()
            writer.writerows(rows)
        return
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "服务目录"
    fill_text_sheet(ws, HEADERS, ([row[h] for h in HEADERS] for row in rows), wide=_WIDE, freeze="C2")
    wb.save(path)


# ---- import: reading cells -----------------------------------------------------------------------------


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dt.datetime):
        v = v.date()
    return str(v).replace("\r\n", "\n").strip()


def _lines(v: Any) -> list[str]:
    return [line.strip() for line in _text(v).split("\n") if line.strip()]


def _int(v: Any, what: str = "应当是整数") -> int:
    t = _text(v).removesuffix("份").strip()
    if re.fullmatch(r"\d+", t):
        return int(t)
    try:
        return int(cn2an.cn2an(t, "smart"))
    except (ValueError, KeyError, TypeError):
        raise RowError(what) from None


def _bool(v: Any) -> bool:
    t = _text(v).lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise RowError("只能填 是 或 否")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", _text(v))
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        pass
    raise RowError("应写成 2024-05-01 这样的日期")


def _weekdays(v: Any) -> list[int]:
    t = _text(v).replace("星期", "周").replace("天", "日")
    if t in ("每日", "每天", "全周", "周一至周日"):
        return list(range(7))
    days: list[int] = []
    for part in _LIST_SPLIT.split(t):
        m = re.fullmatch(r"周?([一二三四五六日])(?:\s*(?:至|到|-|~)\s*周?([一二三四五六日]))?", part.strip())
        if not m:
            raise RowError("应写成 周一、周三 或 周一至周五 这样")
        first = _WEEKDAYS.index(m.group(1))
        last = _WEEKDAYS.index(m.group(2)) if m.group(2) else first
        days.extend(range(first, last + 1))
    return days


def _documents(v: Any) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i, line in enumerate(_lines(v), 1):
        parts = [p.strip() for p in re.split(r"[｜|]", line)]
        doc: dict[str, Any] = {"name": parts[0]}
        if len(parts) > 1 and parts[1]:
            doc["form"] = parts[1]
        if len(parts) > 2 and parts[2]:
            doc["count"] = _int(parts[2], f"第 {i} 项的份数“{parts[2]}”应写成 1份 这样")
        if len(parts) > 3:
            doc["notes"] = _SEP.join(parts[3:])
        docs.append(doc)
    return docs


def _steps(v: Any) -> list[str]:
    lines = _lines(v)
    if lines and all(_NUMBERED.match(line) for line in lines):  # staff often number the steps
        lines = [_NUMBERED.sub("", line) for line in lines]
    return lines


def _faqs(v: Any) -> list[dict[str, str]]:
    faqs: list[dict[str, str]] = []
    for line in _text(v).split("\n"):
        m = re.match(r"^\s*(问|答|Q|A)\s*[：:]\s*(.*)$", line, re.I)
        key = {"问": "q", "q": "q", "答": "a", "a": "a"}[m.group(1).lower()] if m else None
        if key == "q":
            faqs.append({"q": m.group(2)})  # type: ignore[union-attr]
        elif key == "a":
            if not faqs or "a" in faqs[-1]:
                raise RowError("每条“答：”前面要有一条“问：”")
            faqs[-1]["a"] = m.group(2)  # type: ignore[union-attr]
        elif line.strip():
            if not faqs:
                raise RowError("应以“问：”开头，每条问题下一行写“答：”")
            last = "a" if "a" in faqs[-1] else "q"
            faqs[-1][last] += "\n" + line.rstrip()
    for n, faq in enumerate(faqs, 1):
        if "a" not in faq:
            raise RowError(f"第 {n} 个问题“{faq['q']}”没有“答：”")
    return faqs


def _conditions(v: Any) -> list[Any]:
    """Conditions one a line (see `condition_line`); a JSON list, as sheets exported before were, still reads."""
    text = _text(v)
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RowError(f"不是有效的 JSON（第 {exc.colno} 个字符附近）") from None
        return list(data)
    return [_condition(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


_FACTS = {**{v: k for k, v in FACT_LABELS.items()}, **{k: k for k in FACT_LABELS}}


def _condition(n: int, line: str) -> dict[str, Any]:
    parts = [p.strip() for p in line.split(_SEP)]
    found = _CONDITION.match(parts[0])
    if len(parts) != 3 or found is None:
        raise RowError(f"第 {n} 条应写成“年龄 ≥ 60｜问：您今年多大年纪？｜不符合：……”这样")
    fact = _FACTS.get(found["fact"])
    if fact is None:
        raise RowError(f"第 {n} 条的“{found['fact']}”不是可以问的情况，只能填 {'、'.join(FACT_LABELS.values())}")
    op = _OPS[found["word"] or found["op"]]
    raw = found["value"]
    value: Any
    if op == "in":
        value = [_scalar(fact, x.strip()) for x in _LIST_SPLIT.split(raw) if x.strip()]
    else:
        value = _scalar(fact, raw)
    question = re.sub(r"^问[：:]\s*", "", parts[1])
    reason = re.sub(r"^不符合[：:]\s*", "", parts[2])
    return {"fact": fact, "op": op, "value": value, "question": question, "fail_reason": reason}


def _scalar(fact: str, raw: str) -> Any:
    """A condition's value as the schema holds it: 是/否 for yes-no facts, a number, or a {placeholder}."""
    if fact in _BOOL_FACTS:
        return _bool(raw)
    return int(raw) if re.fullmatch(r"-?\d+", raw) else raw


# ---- import: rows to services --------------------------------------------------------------------------

_CELLS = {"别名": lambda v: [a.strip() for a in _LIST_SPLIT.split(_text(v)) if a.strip()],
          "结构化条件": _conditions, "所需材料": _documents, "办理步骤": _steps, "常见问题": _faqs,
          "最后审核日期": _date, "居委会是否开具": _bool, "条件已完整": _bool, "上门服务": _bool, "预约星期": _weekdays,
          "预约时段分钟": _int, "每时段人数": _int, "每次预约人数": _int}
_KIND_WORDS = "只能填 info/bookable/certificate/request（或 咨询/预约/证明/诉求）"
_PART_COLUMNS = {"certificate": "居委会是否开具", "bookable": "预约时段分钟", "request": "诉求类别"}
_PART_WORDS = {"certificate": "类型为证明时，要填写「居委会是否开具」和「证明替代办法」",
               "bookable": "类型为预约时，要填写预约相关的列（预约时段分钟、每时段人数等）",
               "request": "类型为诉求时，要填写「诉求类别」"}


def _cell_value(header: str, value: Any) -> Any:
    if header == "类型":
        kind = KINDS.get(_text(value).lower()) or KINDS.get(_text(value))
        if kind is None:
            raise RowError(_KIND_WORDS)
        return kind
    if header == "条件关系":
        if _text(value) not in _MODES:
            raise RowError("只能填 全部满足 或 满足其一")
        return _MODES[_text(value)]
    if header == "预约单位":
        if _text(value) not in UNITS:
            raise RowError("只能填 按人 或 整间")
        return UNITS[_text(value)]
    if header == "预约时间":
        parse_hours(_text(value))  # raises ValueError with a Chinese message
    return _CELLS[header](value) if header in _CELLS else _text(value)


def row_to_data(row: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The nested data a row describes, and the problems of cells that could not be read."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    for header, path in COLUMNS:
        if _text(row.get(header)) == "":
            continue  # an empty cell leaves the field to its default (or reports it missing)
        try:
            value = _cell_value(header, row.get(header))
        except ValueError as exc:
            problems.append(f"「{header}」{exc}")
            continue
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return data, problems


def _column_of(loc: tuple[str | int, ...]) -> tuple[str, str]:
    """The column a pydantic error location falls in, and which item of that cell."""
    for n in range(len(loc), 0, -1):
        header = _BY_PATH.get(tuple(str(p) for p in loc[:n]))
        if header:
            rest = loc[n:]
            item = f"第 {rest[0] + 1} 项" if rest and isinstance(rest[0], int) else ""
            return header, item + (f"的 {rest[-1]}" if item and isinstance(rest[-1], str) else "")
    return "", ""


def _pydantic_problems(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if not loc and err["type"] == "value_error":
            kind = str(data.get("kind"))
            problems.append(_PART_WORDS.get(kind, describe_error(err)))
            continue
        header, item = _column_of(loc)
        words = describe_error(err).replace("只能是 ", "只能填 ").replace("缺少必填内容", "没有填写（必填）")
        problems.append(f"「{header}」{item}：{words}" if item else f"「{header}」{words}")
    return list(dict.fromkeys(problems))


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The data rows of an .xlsx or .csv file as (row number as staff see it, header → cell)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="gb18030")  # Excel in Chinese saves CSV as GBK
        table = list(csv.reader(text.splitlines(keepends=True)))
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb["服务目录"] if "服务目录" in wb.sheetnames else wb.worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        raise DataValidationError(f"{path}：只能导入 .xlsx 或 .csv 文件")
    if not table:
        raise DataValidationError(f"{path}：表格是空的")
    headers = [re.split(r"[（(\s]", _text(h), maxsplit=1)[0] for h in table[0]]
    unknown = [h for h in headers if h and h not in HEADERS]
    missing = [h for h in REQUIRED_HEADERS if h not in headers]
    problems = [f"第 1 行：表头「{h}」不认识，请对照导出的表格检查列名" for h in unknown]
    problems += [f"第 1 行：缺少「{h}」这一列" for h in missing]
    if problems:
        raise DataValidationError(f"{path}：表头有误", problems)
    rows = []
    for number, cells in enumerate(table[1:], 2):
        row = {h: v for h, v in zip(headers, cells, strict=False) if h}
        if any(_text(v) for v in row.values()):
            rows.append((number, row))
    return rows


def import_sheet(path: Path, communities: Mapping[str, CommunitySettings] | None = None) -> list[Service]:
    """Read and check every row; raise DataValidationError listing each row's problems."""
    services: list[Service] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, row in read_rows(path):
        data, row_problems = row_to_data(row)
        sid = _text(row.get("编号"))
        label = f"第 {number} 行（编号 {sid}）" if sid else f"第 {number} 行（未填编号）"
        if sid in seen:
            row_problems.append(f"「编号」与第 {seen[sid]} 行重复")
        seen.setdefault(sid, number)
        for loc, msg in placeholder_problems(data, communities or {}):
            row_problems.append(f"「{_column_of(loc)[0]}」{msg}")
        try:
            service = Service.model_validate(data)
        except ValidationError as exc:
            # A cell that could not be read is left out of `data`; do not report it twice as missing.
            unread = {p.split("」")[0] for p in row_problems if p.startswith("「")}
            row_problems.extend(p for p in _pydantic_problems(exc, data) if p.split("」")[0] not in unread)
        else:
            if not row_problems:
                services.append(service)
        problems.extend(f"{label}：{p}" for p in row_problems)
    if problems:
        raise DataValidationError(f"表格校验未通过，共 {len(problems)} 处问题", problems)
    return services


# ---- writing the catalog YAML files --------------------------------------------------------------------

DOMAIN_FILES = {"养老": "elderly", "托育": "childcare", "助残": "disability", "救助": "assistance",
                "就业": "employment", "卫生": "health", "法律": "legal", "证明": "certificates",
                "政务代办": "agency", "便民": "convenience", "安全": "safety", "文教": "education",
                "志愿": "volunteer", "婚姻家庭": "family", "农村": "rural"}


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists and `|` for multi-line text, the way the catalog is written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    short = all(isinstance(v, int) or (isinstance(v, str) and len(v) <= 20 and "\n" not in v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=bool(value) and short)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def service_data(s: Service) -> dict[str, Any]:
    """A service as it is written in a catalog file: defaults left out, `fees` always said."""
    data = s.model_dump(exclude_defaults=True)
    data.setdefault("fees", s.fees)
    return data


def _same(raw: Any, service: Service) -> bool:
    try:
        return Service.model_validate(raw) == service
    except ValidationError:
        return False


def _head_comment(text: str) -> str:
    """The comment block at the top of a file, kept when the file is rewritten."""
    return "".join(itertools.takewhile(lambda line: line.startswith("#"), text.splitlines(keepends=True)))


def write_catalog(
    services: list[Service], out_dir: Path, communities: Mapping[str, CommunitySettings] | None = None
) -> list[Path]:
    """Merge services into the catalog files of `out_dir` (same file as before, or one per domain).

    Services not in `services` are kept as they are. The merged catalog is validated in a scratch
    directory first, so a failing import changes nothing; only files whose content changes are written.
    """
    out_dir = Path(out_dir)
    files: dict[Path, tuple[str, list[Any]]] = {}
    where: dict[str, Path] = {}
    for path in sorted([*out_dir.glob("**/*.yml"), *out_dir.glob("**/*.yaml")]):
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text) or {}
        items = list(raw.get("services") or []) if isinstance(raw, dict) else []
        files[path] = (_head_comment(text), items)
        where.update({item["id"]: path for item in items if isinstance(item, dict) and "id" in item})
    for s in services:
        path = where.get(s.id) or out_dir / f"{DOMAIN_FILES[s.domain]}.yml"
        _, items = files.setdefault(path, ("", []))
        ids = [item.get("id") if isinstance(item, dict) else None for item in items]
        if s.id in ids:
            at = ids.index(s.id)
            if not _same(items[at], s):  # unchanged entries keep their hand-written form
                items[at] = service_data(s)
        else:
            items.append(service_data(s))
        where[s.id] = path
    rendered = {p: head + yaml.dump({"services": items}, Dumper=_Dumper, allow_unicode=True,
                                    sort_keys=False, width=1000) for p, (head, items) in files.items()}
    with tempfile.TemporaryDirectory() as scratch:
        for p, text in rendered.items():
            target = Path(scratch) / p.relative_to(out_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            load_catalog(Path(scratch), communities or {})
        except DataValidationError as exc:
            here, there = display_path(Path(scratch)), display_path(out_dir)
            raise DataValidationError("导入后的服务目录校验未通过，没有写入任何文件",
                                      [p.replace(here, there) for p in exc.problems]) from exc
    written = []
    for p, text in rendered.items():
        old = yaml.safe_load(p.read_text(encoding="utf-8")) if p.exists() else None
        if old != yaml.safe_load(text):
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            written.append(p)
    return sorted(written)
