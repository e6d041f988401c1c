"""Catalog maintenance behind the console: exporting and importing the spreadsheet, picking up the result."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.bootstrap import Runtime
from bot.config import Settings
from bot.errors import DataValidationError
from knowledge.loader import Catalog, display_path, load_catalog
from knowledge.schema import Service

SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def import_upload(runtime: Runtime, filename: str, content: bytes) -> tuple[int, list[str], Catalog]:
    """Check an uploaded sheet row by row and merge it into the catalog files.

    Blocking (a 5 MB sheet takes seconds to read): the console runs it in a worker thread. Returns the
    number of services read, the files changed and the catalog as now written, for the caller to swap in
    on the event loop (`swap_catalog`); raises DataValidationError with the row-level problems (nothing is
    written then).
    """
    from knowledge.spreadsheet import import_sheet, write_catalog

    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise DataValidationError("只能导入 .xlsx 或 .csv 文件")
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataValidationError("文件太大（超过 5 MB），请只保留服务目录这一张表")
    communities = runtime.services.communities
    with tempfile.TemporaryDirectory(prefix="linli-import-") as scratch:
        sheet = Path(scratch) / f"upload{suffix}"
        sheet.write_bytes(content)
        try:
            services = import_sheet(sheet, communities)
        except DataValidationError as exc:  # name the file as staff uploaded it, not the scratch copy
            raise DataValidationError(exc.args[0].replace(str(sheet), filename),
                                      [p.replace(str(sheet), filename) for p in exc.problems]) from exc
        written = write_catalog(services, Path(runtime.settings.catalog_dir), communities)
    fresh = load_catalog(runtime.settings.catalog_dir, communities)
    return len(services), [display_path(p) for p in written], fresh


def export_sheet(services: list[Service]) -> bytes:
    """The services as the .xlsx sheet the import reads back (readable columns, no JSON).

    Blocking (openpyxl writes a few hundred services in about a second): the console runs it in a worker thread.
    """
    from knowledge.spreadsheet import export_catalog

    with tempfile.TemporaryDirectory(prefix="linli-export-") as scratch:
        sheet = Path(scratch) / "catalog.xlsx"
        export_catalog(services, sheet)
        return sheet.read_bytes()


def refresh_catalog(runtime: Runtime) -> None:
    """Reload the catalog files into the running catalog object, which actions and pages share."""
    swap_catalog(runtime, load_catalog(runtime.settings.catalog_dir, runtime.services.communities))


def swap_catalog(runtime: Runtime, fresh: Catalog) -> None:
    """Put a loaded catalog's contents into the running catalog object. Called on the event loop, between
    turns, so no turn sees half of the old catalog and half of the new."""
    live = runtime.catalog
    live.services[:] = fresh.services
    live.by_id.clear()
    live.by_id.update(fresh.by_id)
    live.sources.clear()
    live.sources.update(fresh.sources)


def reindex(settings: Settings) -> dict[str, Any]:
    """Rebuild and publish the search index; the running retriever picks it up by itself."""
    from knowledge.index_build import build_index

    return asdict(build_index(settings))
