"""The service catalog in the console: search and browse, one service's detail, spreadsheet export and import,
reindex."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import RuntimeDep
from bot.backend.models import StaffUser
from bot.backend.staff_actions import audit
from bot.bootstrap import Runtime
from bot.console import catalog_edit, catalog_files
from bot.console.list_export import download
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


async def _page(request: Request, runtime: Runtime, session: AsyncSession, staff: StaffUser, *, q: str = "",
                domain: str = "", kind: str = "", imported: dict[str, Any] | None = None,
                problems: list[str] | None = None, error: str = "", status_code: int = 200) -> Response:
    services = [s for s in runtime.catalog if matches(s, q) and (not domain or s.domain == domain)
                and (not kind or s.kind == kind)]
    domains = sorted({s.domain for s in runtime.catalog})
    return render(request, "catalog.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  services=services, total=len(runtime.catalog), domains=domains, kinds=KIND_LABELS,
                  filters={"q": q, "domain": domain, "kind": kind}, job=await board(request).get(session, "reindex"),
                  imported=imported, problems=problems or [], error=error)


@router.get("/catalog")
async def catalog_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep, q: str = "",
                       domain: str = "", kind: str = "") -> Response:
    """Services searched by name or alias and filtered by domain and kind."""
    return await _page(request, runtime, session, staff, q=q, domain=domain, kind=kind)


@router.get("/catalog/export")
async def export_catalog(runtime: RuntimeDep, session: SessionDep, staff: StaffDep, q: str = "", domain: str = "",
                         kind: str = "") -> Response:
    """The services as listed (all of them with no filter) as an Excel sheet in the format the import reads,
    so staff edit it in Excel or WPS and import it back; services left out of it stay as they are."""
    services = [s for s in runtime.catalog if matches(s, q) and (not domain or s.domain == domain)
                and (not kind or s.kind == kind)]
    content = await run_in_threadpool(catalog_files.export_sheet, services)
    audit(session, staff, "catalog_export", "catalog", len(services), q=q, domain=domain, kind=kind)
    day = runtime.services.local_now(None).date().isoformat()
    return download(content, f"服务目录-{day}.xlsx", f"catalog-{day}.xlsx")


def _service(runtime: Runtime, service_id: str) -> Service:
    svc = runtime.catalog.get(service_id)
    if svc is None:
        raise ConsoleError(404, "服务目录里没有这项服务。")
    return svc


async def _service_page(request: Request, runtime: Runtime, session: AsyncSession, staff: StaffUser,
                        svc: Service, *, form: dict[str, str] | None = None, problems: list[str] | None = None,
                        error: str = "", saved: str = "", status_code: int = 200) -> Response:
    """The detail page; administrators also get the edit form (with the problems of a refused save)."""
    from knowledge.community import render_service

    community = runtime.services.community(staff.community.code if staff.community else None)
    source = runtime.catalog.sources.get(svc.id)
    mine, rest = catalog_edit.by_field(problems or [])
    return render(request, "service.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  svc=render_service(svc, community), kinds=KIND_LABELS, community=community,
                  source=source.name if source else "", fields=catalog_edit.FIELDS,
                  form=form or catalog_edit.form_values(svc), field_problems=mine, problems=rest, error=error,
                  saved=saved,
                  placeholders=catalog_edit.placeholder_names(runtime),
                  job=await board(request).get(session, "reindex"))


@router.get("/catalog/services/{service_id}")
async def service_page(service_id: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                       staff: StaffDep,
                       saved: str = "") -> Response:
    """One service as residents are told about it, with this community's values filled in."""
    return await _service_page(request, runtime, session, staff, _service(runtime, service_id), saved=saved)


@router.post("/catalog/services/{service_id}/edit")
async def edit_service(service_id: str, request: Request, runtime: RuntimeDep, session: SessionDep,
                       staff: CheckedStaffDep, name: Annotated[str, Form(max_length=200)] = "",
                       aliases: Annotated[str, Form(max_length=2000)] = "",
                       summary: Annotated[str, Form(max_length=5000)] = "",
                       eligibility: Annotated[str, Form(max_length=5000)] = "",
                       documents: Annotated[str, Form(max_length=5000)] = "",
                       steps: Annotated[str, Form(max_length=5000)] = "",
                       where: Annotated[str, Form(max_length=1000)] = "",
                       hours: Annotated[str, Form(max_length=1000)] = "",
                       fees: Annotated[str, Form(max_length=1000)] = "",
                       processing_time: Annotated[str, Form(max_length=1000)] = "",
                       online: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Save the edited text of a service to its catalog file; nothing is written when a check fails."""
    require_admin(staff)
    svc = _service(runtime, service_id)
    values = {"name": name, "aliases": aliases, "summary": summary, "eligibility": eligibility,
              "documents": documents, "steps": steps, "where": where, "hours": hours, "fees": fees,
              "processing_time": processing_time, "online": online}
    before = catalog_edit.form_values(svc)
    try:
        written = catalog_edit.save(runtime, svc, values)
    except DataValidationError as exc:
        return await _service_page(request, runtime, session, staff, svc, form=values, problems=exc.problems,
                                   error=exc.args[0],
                             status_code=422)
    if written:
        audit(session, staff, "catalog_edit", "service", svc.id, fields=catalog_edit.changed_fields(before, values),
              written=written)
    return RedirectResponse(f"/console/catalog/services/{svc.id}?saved={1 if written else 0}", status_code=303)


@router.post("/catalog/import")
async def import_sheet(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                       sheet: UploadFile | None = None) -> Response:
    """Import an Excel or CSV sheet; every row is checked and problems are listed by row and column."""
    require_admin(staff)
    if sheet is None or not sheet.filename:
        return await _page(request, runtime, session, staff, error="请选择要导入的表格文件。", status_code=422)
    content = await sheet.read(catalog_files.MAX_UPLOAD_BYTES + 1)
    try:
        # Reading a sheet of up to 5 MB takes seconds: in a worker thread, so residents' turns go on meanwhile.
        count, written, fresh = await run_in_threadpool(catalog_files.import_upload, runtime, sheet.filename, content)
    except DataValidationError as exc:
        return await _page(request, runtime, session, staff, error=exc.args[0], problems=exc.problems, status_code=422)
    catalog_files.swap_catalog(runtime, fresh)
    audit(session, staff, "catalog_import", "catalog", sheet.filename[:64], services=count, written=written)
    return await _page(request, runtime, session, staff,
                       imported={"file": sheet.filename, "count": count, "written": written})


@router.post("/catalog/reindex")
async def reindex(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Rebuild the search index in the background; the running search switches to it by itself."""
    require_admin(staff)
    settings = runtime.settings
    work = request.app.state.console_reindex
    if await board(request).start(session, "reindex", staff.username, lambda: work(settings)) is not None:
        audit(session, staff, "reindex", "index", "catalog")
    return RedirectResponse("/console/catalog#reindex", status_code=303)
