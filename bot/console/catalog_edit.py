"""Editing one service's text in the console, through the same cell readers, checks and writer as the sheet import.

A service goes through its spreadsheet row: the form fields are cells of that row, so materials ("名称｜原件｜1份｜
备注") and steps read exactly as in Excel, and the merged catalog is checked by the loader before any file is
written. Problems come back per field, in the import's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from bot.bootstrap import Runtime
from bot.console.catalog_files import refresh_catalog
from bot.errors import DataValidationError
from knowledge.community import BUILTIN_PLACEHOLDERS
from knowledge.loader import describe_error, display_path, placeholder_problems
from knowledge.schema import Service
from knowledge.spreadsheet import COLUMNS, row_to_data, service_to_row, write_catalog

# (form field, sheet column) in the order the form shows them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "名称"), ("aliases", "别名"), ("summary", "简介"), ("eligibility", "办理条件"),
    ("documents", "所需材料"), ("steps", "办理步骤"), ("where", "办理地点"), ("hours", "办理时间"),
    ("fees", "费用"), ("processing_time", "办理时限"), ("online", "网上办理"),
)
_PATHS = sorted(((path, header) for header, path in COLUMNS), key=lambda p: -len(p[0]))


def form_values(service: Service) -> dict[str, str]:
    """The service's editable fields as the form shows them (placeholders left as written)."""
    row = service_to_row(service)
    return {name: str(row[header]) for name, header in FIELDS}


def placeholder_names(runtime: Runtime) -> list[str]:
    """Placeholders every form field may use, for the hint under the form."""
    names = {k for c in runtime.services.communities.values() for k in c.values}
    return [*BUILTIN_PLACEHOLDERS, *sorted(names)]


def _header(loc: tuple[str | int, ...]) -> tuple[str, str]:
    """The sheet column a schema location falls in, and which item of that cell ("第 2 项")."""
    parts = tuple(str(p) for p in loc)
    for path, header in _PATHS:
        if parts[:len(path)] == path:
            rest = loc[len(path):]
            return header, f"第 {rest[0] + 1} 项" if rest and isinstance(rest[0], int) else ""
    return "", ""


def _schema_problems(exc: ValidationError, already: set[str]) -> list[str]:
    out = []
    for err in exc.errors():
        header, item = _header(tuple(err["loc"]))
        if header in already:  # a cell that could not be read is reported once, not again as missing
            continue
        words = describe_error(err).replace("缺少必填内容", "没有填写（必填）").replace("只能是 ", "只能填 ")
        out.append(f"「{header}」{item}{'：' if item else ''}{words}" if header else words)
    return list(dict.fromkeys(out))


def check(runtime: Runtime, service: Service, values: Mapping[str, str]) -> Service:
    """The service with the form's values, or DataValidationError listing each field's problems."""
    row = service_to_row(service)
    row.update({header: values.get(name, "") for name, header in FIELDS})
    data, problems = row_to_data(row)
    for loc, msg in placeholder_problems(data, runtime.services.communities):
        problems.append(f"「{_header(loc)[0]}」{msg}")
    try:
        edited = Service.model_validate(data)
    except ValidationError as exc:
        unread = {p[1:].split("」")[0] for p in problems if p.startswith("「")}
        problems.extend(_schema_problems(exc, unread))
        edited = service
    if problems:
        raise DataValidationError(f"没有保存：有 {len(problems)} 处需要修改，见下面标红的内容", problems)
    return edited


def save(runtime: Runtime, service: Service, values: Mapping[str, str]) -> list[str]:
    """Check the edit, write the catalog file holding the service and reload the running catalog.

    Returns the files changed (none when nothing changed); raises DataValidationError and writes nothing
    when a field or the merged catalog fails its checks.
    """
    edited = check(runtime, service, values)
    catalog_dir = Path(runtime.settings.catalog_dir)
    try:
        written = write_catalog([edited], catalog_dir, runtime.services.communities)
    except DataValidationError as exc:
        raise DataValidationError("修改后的服务目录校验未通过，没有保存", exc.problems) from exc
    if written:
        refresh_catalog(runtime)
    return [display_path(p) for p in written]


def by_field(problems: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Problems split into those of one form field (keyed by field name) and those of the whole catalog."""
    headers = {header: name for name, header in FIELDS}
    mine: dict[str, list[str]] = {}
    rest = []
    for p in problems:
        header = p[1:].split("」")[0] if p.startswith("「") else ""
        if header in headers:
            mine.setdefault(headers[header], []).append(p.removeprefix(f"「{header}」").lstrip("：") or p)
        else:
            rest.append(p)
    return mine, rest


def changed_fields(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The columns whose text the edit changed, for the audit log."""
    return [header for name, header in FIELDS if before.get(name, "").strip() != after.get(name, "").replace(
        "\r\n", "\n").strip()]
