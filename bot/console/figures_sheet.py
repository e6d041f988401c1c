"""The monthly report as an xlsx workbook (openpyxl) for staff who pass figures on in Excel or WPS.

Sheets: 汇总 (the whole scope), 按社区, 按类别, 按周, 超期工单 and 口径说明 (the definitions, so a figure
read away from the console still says what it counts). Rates are written as numbers formatted as
percentages, with the counts they come from next to them, so a reader can check or re-add them; a rate with
nothing counted is left empty rather than written as 0 %. Headings come from texts.yml (`figures.sheet`).
No resident data goes in: the overdue sheet names orders by number, category and who handles them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.backend.figures import Figures, Report, Row

PERCENT = "0.0%"
HOURS = "0.0"


def figure_cells(f: Figures) -> list[Any]:
    """One row's cells, in the order of the `columns` headings."""
    cells: list[Any] = [f.filed]
    for rate in (f.response, f.completion, f.satisfaction, f.coverage):
        cells += [rate.met, rate.counted, rate.value]
    return cells + [_round(f.median_response_hours), _round(f.median_completion_hours)]


def _round(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)


def _header(ws: Worksheet, headings: Sequence[str]) -> None:
    ws.append(list(headings))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"B{ws.max_row + 1}"  # a coordinate: asking for the cell would create an empty row


def _figures_sheet(ws: Worksheet, group: str, columns: Sequence[str], rows: Sequence[tuple[str, Figures]]) -> None:
    _header(ws, [group, *columns])
    for label, f in rows:
        ws.append([label, *figure_cells(f)])
        for col in (5, 8, 11, 14):  # the four rates, after their two counts
            ws.cell(row=ws.max_row, column=col).number_format = PERCENT
        for col in (15, 16):
            ws.cell(row=ws.max_row, column=col).number_format = HOURS
    ws.column_dimensions["A"].width = 24
    for letter in "BCDEFGHIJKLMNOP":
        ws.column_dimensions[letter].width = 12


def _labelled(rows: Sequence[Row]) -> list[tuple[str, Figures]]:
    return [(r.label, r.figures) for r in rows]


def monthly_workbook(report: Report, words: dict[str, Any], scope_name: str) -> bytes:
    """The report as xlsx bytes; `words` is texts.yml's `figures` section, `scope_name` what the figures cover."""
    sheet = words["sheet"]
    names, columns = sheet["sheets"], sheet["columns"]
    tz = ZoneInfo(report.period.timezone)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = names["summary"]
    period = f"{report.period.first:%Y-%m-%d} 至 {report.period.last:%Y-%m-%d}"
    summary.append([f"{sheet['title']}：{scope_name}，{period}（截至 {report.now.astimezone(tz):%Y-%m-%d %H:%M}）"])
    summary["A1"].font = Font(bold=True, size=13)
    _figures_sheet(summary, sheet["group"], columns, [(sheet["total"], report.total)])
    _figures_sheet(wb.create_sheet(names["communities"]), sheet["group"], columns, _labelled(report.by_community))
    _figures_sheet(wb.create_sheet(names["categories"]), sheet["group"], columns, _labelled(report.by_category))
    _figures_sheet(wb.create_sheet(names["weeks"]), sheet["group"], columns, _labelled(report.by_week))

    overdue = wb.create_sheet(names["overdue"])
    _header(overdue, sheet["overdue_columns"])
    for o in report.overdue:
        missed = "、".join(w for w, on in ((sheet["ack_missed"], o.ack_missed), (sheet["done_missed"], o.done_missed))
                          if on)
        overdue.append([o.number, o.community_name, o.category, o.status,
                        sheet["urgent"] if o.urgent else sheet["not_urgent"], o.assignee or "",
                        o.ack_due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                        o.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), missed,
                        round(o.overdue_hours(report.now), 1)])
    for letter, width in zip("ABCDEFGHIJ", (18, 16, 10, 8, 6, 16, 18, 18, 24, 12), strict=True):
        overdue.column_dimensions[letter].width = width

    definitions = wb.create_sheet(names["definitions"])
    for text in words["help"].values():
        definitions.append([text])
        definitions.cell(row=definitions.max_row, column=1).alignment = Alignment(wrap_text=True)
    definitions.column_dimensions["A"].width = 110
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
