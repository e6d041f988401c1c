"""A filtered console list as an Excel file: Chinese headings, one row per record, text cells.

openpyxl (already a dependency for the catalog sheet) writes it; every cell is stored as text so Excel
keeps leading zeros of numbers and never turns a phone number into 1.38E+10. Whether phones are masked
is the caller's choice, made explicit in the request and audited there.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi.responses import Response

from knowledge.spreadsheet import fill_text_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(title: str, headings: Sequence[str], rows: Iterable[Sequence[object]],
                   wide: Sequence[str] = ()) -> bytes:
    """One sheet named `title`: bold headings, frozen first row, wrapped text, wide columns for long text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]  # Excel's limit on a sheet name
    fill_text_sheet(ws, headings, (["" if v is None else str(v) for v in row] for row in rows), wide=wide,
                    narrow_width=14)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(content: bytes, filename: str, fallback: str, media_type: str = XLSX) -> Response:
    """A file download named in Chinese (RFC 6266 filename*), with an ASCII `fallback` name; never cached."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
