"""The service catalog in the console: search and browse, one service's detail, spreadsheet import, reindex."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend.models import StaffUser
from bot.backend.staff_actions import audit
from bot.bootstrap import Runtime
from bot.console import catalog_files
from bot.console.nlu_routes import board, require_admin
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render
from bot.errors import DataValidationError
from knowledge.schema import Service

router = APIRouter(prefix="/console")
KIND_LABELS = {"info": "咨询", "bookable": "预约", "certificate": "证明", "request": "诉求"}


def matches(service: Service, q: str) -> bool:
    """Whether a search text occurs in the service's id, name or one of its aliases."""
    q = q.strip().lower()
    return not q or any(q in s.lower() for s in (service.id, service.name, *service.aliases))


def _page(request: Request, runtime: Runtime, staff: StaffUser, *, q: str = "", domain: str = "", kind: str = "",
          imported: dict[str, Any] | None = None, problems: list[str] | None = None, error: str = "",
          status_code: int = 200) -> Response:
    services = [s for s in runtime.catalog if matches(s, q) and (not domain or s.domain == domain)
                and (not kind or s.kind == kind)]
    domains = sorted({s.domain for s in runtime.catalog})
    return render(request, "catalog.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  services=services, total=len(runtime.catalog), domains=domains, kinds=KIND_LABELS,
                  filters={"q": q, "domain": domain, "kind": kind}, job=board(request).get("reindex"),
                  imported=imported, problems=problems or [], error=error)


@router.get("/catalog")
async def catalog_page(request: Request, runtime: RuntimeDep, staff: StaffDep, q: str = "", domain: str = "",
                       kind: str = "") -> Response:
    """Services searched by name or alias and filtered by domain and kind."""
    return _page(request, runtime, staff, q=q, domain=domain, kind=kind)


@router.get("/catalog/services/{service_id}")
async def service_page(service_id: str, request: Request, runtime: RuntimeDep, staff: StaffDep) -> Response:
    """One service as residents are told about it, with this community's values filled in."""
    from knowledge.community import render_service

    svc = runtime.catalog.get(service_id)
    if svc is None:
        raise ConsoleError(404, "服务目录里没有这项服务。")
    community = runtime.services.community(staff.community.code if staff.community else None)
    source = runtime.catalog.sources.get(svc.id)
    return render(request, "service.html", runtime, staff, svc=render_service(svc, community),  # type: ignore[no-any-return]
                  kinds=KIND_LABELS, community=community, source=source.name if source else "")


@router.post("/catalog/import")
async def import_sheet(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                       sheet: UploadFile | None = None) -> Response:
    """Import an Excel or CSV sheet; every row is checked and problems are listed by row and column."""
    require_admin(staff)
    if sheet is None or not sheet.filename:
        return _page(request, runtime, staff, error="请选择要导入的表格文件。", status_code=422)
    content = await sheet.read(catalog_files.MAX_UPLOAD_BYTES + 1)
    try:
        count, written = catalog_files.import_upload(runtime, sheet.filename, content)
    except DataValidationError as exc:
        return _page(request, runtime, staff, error=exc.args[0], problems=exc.problems, status_code=422)
    audit(session, staff, "catalog_import", "catalog", sheet.filename[:64], services=count, written=written)
    return _page(request, runtime, staff, imported={"file": sheet.filename, "count": count, "written": written})


@router.post("/catalog/reindex")
async def reindex(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Rebuild the search index in the background; the running search switches to it by itself."""
    require_admin(staff)
    settings = runtime.settings
    work = request.app.state.console_reindex
    if board(request).start("reindex", staff.username, lambda: work(settings)) is not None:
        audit(session, staff, "reindex", "index", "catalog")
    return RedirectResponse("/console/catalog#reindex", status_code=303)
