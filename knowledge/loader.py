"""Load and validate the catalog and community settings from YAML files.

Catalog files are edited by community staff, so every problem is reported the way they can act on it:
the file, the line, the service id and the field, in plain Chinese with the English field name, e.g.
`knowledge/catalog/elderly.yml 第 42 行，服务 elderly-allowance 的字段 documents[1].form：只能是 原件/…`.
All problems are collected and raised together in one `DataValidationError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.backend.opening_hours import parse_hours
from bot.errors import DataValidationError
from knowledge.community import (
    BUILTIN_PLACEHOLDERS,
    check_opening_hours,
    placeholders_in,
    stray_braces,
)
from knowledge.schema import CatalogFile, CommunitySettings, Service

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Catalog:
    """All services, in file order, with a lookup by id and the file each came from."""

    services: list[Service]
    by_id: dict[str, Service] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_id:
            self.by_id.update({s.id: s for s in self.services})

    def get(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return self.by_id.get(service_id)

    def name_of(self, service_id: str) -> str:
        """The service's name, or "" when the catalog no longer has it (a booking outlives its service)."""
        svc = self.by_id.get(service_id)
        return svc.name if svc is not None else ""

    def __iter__(self) -> Iterator[Service]:
        return iter(self.services)

    def __len__(self) -> int:
        return len(self.services)


@dataclass
class YamlDoc:
    """A parsed YAML file with the 1-based line of every mapping key and list item, keyed by path."""

    data: Any
    lines: dict[Loc, int]
    duplicate_keys: list[tuple[Loc, int]]

    def line(self, loc: Loc) -> int:
        """The line of the deepest part of `loc` present in the file."""
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1


def parse_yaml(text: str) -> YamlDoc:
    """Parse YAML keeping line numbers; raises yaml.YAMLError on bad syntax."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {(): 1}
    dupes: list[tuple[Loc, int]] = []

    def walk(n: yaml.Node, path: Loc) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in n.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    dupes.append((path + (key,), line))
                seen.add(key)
                walk(value_node, path + (key,))
                lines[path + (key,)] = line  # the key's line beats its value's for a field
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return YamlDoc(data, lines, dupes)


def display_path(path: Path) -> str:
    """The path as staff see it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def field_path(loc: Loc) -> str:
    """`('documents', 1, 'form')` → `documents[1].form`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_KIND_PARTS = {
    "certificate": "类型为 certificate（证明）的服务必须写 certificate 部分"
                   "（issued_by_committee、alternative）",
    "bookable": "类型为 bookable（预约）的服务必须写 booking 部分（slot_minutes、capacity 等）",
    "request": "类型为 request（诉求）的服务必须写 request 部分（category）",
}
_UNION_WORDS = "写法不对，应当是整数、true/false、一段文字或一个列表"
_WORDS = {
    "missing": "缺少必填内容",
    "extra_forbidden": "没有这个字段（可能拼写错了，或放错了位置）",
    "string_type": "应当是一段文字",
    "list_type": "应当是列表（每项单独一行，以“- ”开头）",
    "model_type": "应当是一组“字段: 值”",
    "dict_type": "应当是一组“字段: 值”",
    "string_pattern_mismatch": "只能用小写英文字母、数字和连字符（-），例如 elderly-allowance",
    "string_too_short": "不能为空",
}


def describe_error(err: ErrorDetails) -> str:
    """One pydantic error in words a non-programmer understands."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _WORDS:
        return _WORDS[kind]
    if kind == "literal_error":
        return "只能是 " + "/".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    if kind.startswith("int_"):
        return "应当是整数"
    if kind.startswith("bool_"):
        return "应当是 true 或 false（是/否）"
    if kind.startswith(("date_", "datetime_")):
        return "应当是日期，写成 2024-05-01 这样"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "value_error":
        for part, words in _KIND_PARTS.items():
            if f"kind {part} needs" in err["msg"]:
                return words
    return str(err["msg"])


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and bool(re.fullmatch(r".*[\[\-].*|int|bool|str|float", part))


def _clean_loc(loc: Loc) -> Loc:
    """Drop the union-member tags pydantic appends (`int`, `list[str]`, `constrained-str` …)."""
    return tuple(p for p in loc if not _is_union_tag(p))


def _service_label(doc: YamlDoc, index: int) -> str:
    items = doc.data.get("services") if isinstance(doc.data, dict) else None
    raw = items[index] if isinstance(items, list) and index < len(items) else None
    sid = raw.get("id") if isinstance(raw, dict) else None
    return f"服务 {sid}" if sid else f"第 {index + 1} 项服务（未写编号 id）"


def locate(where: str, doc: YamlDoc, loc: Loc, message: str, line: int | None = None) -> str:
    """One problem line: file, line, service and field, then what is wrong."""
    head = f"{where} 第 {line or doc.line(loc)} 行，"
    if len(loc) >= 2 and loc[0] == "services" and isinstance(loc[1], int):
        label, rest = _service_label(doc, loc[1]), loc[2:]
        return head + (f"{label} 的字段 {field_path(rest)}：{message}" if rest else f"{label}：{message}")
    return head + (f"字段 {field_path(loc)}：{message}" if loc else message)


def _validation_problems(where: str, doc: YamlDoc, exc: ValidationError) -> list[str]:
    problems: list[str] = []
    seen: set[Loc] = set()
    for err in exc.errors():
        raw_loc = tuple(err["loc"])
        loc = _clean_loc(raw_loc)
        if loc in seen:  # a union field fails once per member; report it once
            continue
        seen.add(loc)
        message = _UNION_WORDS if loc != raw_loc else describe_error(err)
        problems.append(locate(where, doc, loc, message))
    return problems


def _strings(obj: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(obj, str):
        yield loc, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k != "id":
                yield from _strings(v, loc + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _strings(v, loc + (i,))


def placeholder_problems(
    raw_service: Any, communities: Mapping[str, CommunitySettings]
) -> list[tuple[Loc, str]]:
    """Placeholders in a service's text that some community cannot fill, and stray braces."""
    out: list[tuple[Loc, str]] = []
    for loc, text in _strings(raw_service, ()):
        if stray_braces(text):
            out.append((loc, "花括号不成对；占位符应写成 {service_center} 这样"))
        for name in placeholders_in(text):
            if name in BUILTIN_PLACEHOLDERS:
                continue
            lacking = [code for code, c in communities.items() if name not in c.values]
            if len(lacking) == len(communities):
                out.append((loc, f"占位符 {{{name}}} 在社区设置的 values 里没有定义"
                                 "（请检查拼写，或在社区设置里补上）"))
            elif lacking:
                out.append((loc, f"占位符 {{{name}}} 在社区 {'、'.join(lacking)} 的设置 values 里没有值"))
    return out


def _catalog_files(catalog_dir: Path) -> list[Path]:
    return sorted([*catalog_dir.glob("**/*.yml"), *catalog_dir.glob("**/*.yaml")])


def _read(path: Path, problems: list[str]) -> YamlDoc | None:
    where = display_path(path)
    try:
        doc = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" 第 {mark.line + 1} 行" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{where}{at}：YAML 格式有误（{what}），请检查缩进、冒号和引号")
        return None
    except UnicodeDecodeError:
        problems.append(f"{where}：文件不是 UTF-8 编码，请另存为 UTF-8")
        return None
    for loc, line in doc.duplicate_keys:
        problems.append(locate(where, doc, loc, "这个字段写了两次，只有后一次生效", line))
    return doc


def load_catalog(
    catalog_dir: Path, communities: Mapping[str, CommunitySettings] | None = None
) -> Catalog:
    """Read every `*.yml` under `catalog_dir`; raise DataValidationError naming each fault.

    Placeholders are checked against `communities`; when it is None, against the `communities`
    directory next to the catalog directory if there is one (pass `{}` to skip the check).
    """
    catalog_dir = Path(catalog_dir)
    files = _catalog_files(catalog_dir)
    if not files:
        raise DataValidationError(f"目录 {display_path(catalog_dir)} 下没有服务目录文件（*.yml）")
    if communities is None:
        sibling = catalog_dir.parent / "communities"
        communities = load_communities(sibling) if sibling.is_dir() else {}
    problems: list[str] = []
    services: list[Service] = []
    sources: dict[str, Path] = {}
    first_seen: dict[str, str] = {}
    for path in files:
        where = display_path(path)
        doc = _read(path, problems)
        if doc is None:
            continue
        if doc.data is None:
            problems.append(f"{where}：文件是空的，应以 services: 开头")
            continue
        try:
            parsed = CatalogFile.model_validate(doc.data).services
        except ValidationError as exc:
            problems.extend(_validation_problems(where, doc, exc))
            parsed = []
        raw_items = doc.data.get("services") if isinstance(doc.data, dict) else None
        for i, raw in enumerate(raw_items if isinstance(raw_items, list) else []):
            if communities:
                for loc, msg in placeholder_problems(raw, communities):
                    problems.append(locate(where, doc, ("services", i) + loc, msg))
            sid = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(sid, str):
                here = f"{where} 第 {doc.line(('services', i))} 行"
                if sid in first_seen:
                    problems.append(f"服务编号 {sid} 重复：{first_seen[sid]}，又见于 {here}")
                else:
                    first_seen[sid] = here
        for i, service in enumerate(parsed):
            if service.booking and service.booking.hours:
                try:
                    parse_hours(service.booking.hours)
                except ValueError as exc:
                    problems.append(locate(where, doc, ("services", i, "booking", "hours"), str(exc)))
            sources.setdefault(service.id, path)
        services.extend(parsed)
    if problems:
        raise DataValidationError(f"服务目录校验未通过，共 {len(problems)} 处问题", problems)
    return Catalog(services=services, sources=sources)


def load_communities(communities_dir: Path) -> dict[str, CommunitySettings]:
    """Read every community settings file, keyed by community code; check the 8-hour opening rule."""
    out: dict[str, CommunitySettings] = {}
    problems: list[str] = []
    for path in sorted(Path(communities_dir).glob("*.yml")):
        where = display_path(path)
        doc = _read(path, problems)
        if doc is None:
            continue
        try:
            c = CommunitySettings.model_validate(doc.data)
        except ValidationError as exc:
            problems.extend(_validation_problems(where, doc, exc))
            continue
        for msg in check_opening_hours(c.opening_hours):
            problems.append(locate(where, doc, ("opening_hours",), msg))
        if c.code in out:
            problems.append(f"{where}：社区编号 code {c.code} 与另一个社区设置文件重复")
        out[c.code] = c
    if problems:
        raise DataValidationError(f"社区设置校验未通过，共 {len(problems)} 处问题", problems)
    return out
