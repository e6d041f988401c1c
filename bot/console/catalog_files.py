"""Catalog maintenance behind the console: importing an uploaded spreadsheet and picking up the result."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.bootstrap import Runtime
from bot.config import Settings
from bot.errors import DataValidationError
from knowledge.loader import Catalog, display_path, load_catalog

SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def import_upload(runtime: Runtime, filename: str, content: bytes) -> tuple[int, list[str]]:
    """Check an uploaded sheet row by row and merge it into the catalog files.

    Returns the number of services read and the files changed; raises DataValidationError with the
    row-level problems (nothing is written then).
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
    refresh_catalog(runtime)
    return len(services), [display_path(p) for p in written]


def refresh_catalog(runtime: Runtime) -> None:
    """Reload the catalog files into the running catalog object, which actions and pages share."""
    fresh: Catalog = load_catalog(runtime.settings.catalog_dir, runtime.services.communities)
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
