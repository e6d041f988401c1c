"""NLU review in the console: poorly understood messages, corrections, export as Rasa YAML, retraining."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend import nlu_review
from bot.backend.models import StaffUser
from bot.backend.staff_actions import audit
from bot.bootstrap import Runtime
from bot.console.jobs import JobBoard
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, visible
from bot.errors import InvalidInput
from bot.nlu import active_model, load_embedded

router = APIRouter(prefix="/console")
MAX_CANDIDATES_SHOWN = 5


def domain_lists(runtime: Runtime) -> tuple[list[str], list[str]]:
    """The intents and entities the spec allows (nlu_data/domain.yml), fallback excluded."""
    raw = runtime.dialogue.domain.raw
    return [str(i) for i in raw.get("intents") or []], [str(e) for e in raw.get("entities") or []]


def board(request: Request) -> JobBoard:
    """The app's background job board."""
    return request.app.state.console_jobs  # type: ignore[no-any-return]


def require_admin(staff: StaffUser) -> None:
    """Model and catalog maintenance is for administrators only."""
    if staff.role != "admin":
        raise ConsoleError(403, "只有管理员可以执行这个操作。")


async def _page(request: Request, runtime: Runtime, session: SessionDep, staff: StaffUser, *,
                error: str = "", error_id: int = 0, form: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    threshold = runtime.settings.nlu_fallback_threshold
    intents, entities = domain_lists(runtime)
    items = [*await nlu_review.suspected_wrong(session, staff, threshold),
             *await nlu_review.to_review(session, staff, threshold)]
    done = await nlu_review.corrections(session, staff)
    return render(request, "nlu.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  models=_models(runtime),
                  items=items, threshold=threshold, intents=intents, entities=entities, done=done[-20:][::-1],
                  total=len(done), job=await board(request).get(session, "retrain"), error=error, error_id=error_id,
                  form=form or {})


@router.get("/nlu")
async def nlu_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep) -> Response:
    """Messages that look misread (a confident reading the resident then disputed) and those understood with
    low confidence, newest first, to correct; and the corrections so far."""
    return await _page(request, runtime, session, staff)


async def _item(session: SessionDep, staff: StaffUser, message_id: int) -> nlu_review.ReviewItem:
    return await visible(nlu_review.visible_message(session, staff, message_id), "这条消息")


@router.post("/nlu/messages/{message_id}/correct")
async def correct(message_id: int, request: Request, runtime: RuntimeDep, session: SessionDep,
                  staff: CheckedStaffDep, intent: Annotated[str, Form(max_length=64)] = "",
                  entities: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Save the right intent (and entities) for a message and take it off the list."""
    item = await _item(session, staff, message_id)
    allowed_intents, allowed_entities = domain_lists(runtime)
    try:
        if intent not in allowed_intents:
            raise InvalidInput("请从列表中选择正确的意图。")
        found = nlu_review.parse_entities(entities, item.message.text, allowed_entities,
                                          (item.message.parse or {}).get("entities", []))
    except InvalidInput as exc:
        return await _page(request, runtime, session, staff, status_code=422, error=str(exc), error_id=message_id,
                           form={"intent": intent, "entities": entities})
    await nlu_review.save_correction(session, item, staff, intent, found)
    return RedirectResponse("/console/nlu", status_code=303)


@router.post("/nlu/messages/{message_id}/dismiss")
async def dismiss(message_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Take a message that is no useful example off the list."""
    nlu_review.dismiss(session, await _item(session, staff, message_id), staff)
    return RedirectResponse("/console/nlu", status_code=303)


@router.get("/nlu/export")
async def export(session: SessionDep, staff: StaffDep) -> Response:
    """The corrections as a Rasa 3.x NLU file to download."""
    text = nlu_review.export_yaml(await nlu_review.corrections(session, staff))
    name = f"nlu_corrections_{dt.date.today():%Y%m%d}.yml"
    return Response(text, media_type="application/x-yaml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _models(runtime: Runtime) -> dict[str, Any]:
    """The model in use and the retrained candidates, read from MODEL_DIR (the same for every process)."""
    model_dir = runtime.settings.model_dir
    active = active_model.read_active(model_dir)
    serving = active_model.active_path(model_dir)
    return {"active": active, "serving": serving.name,
            "candidates": active_model.candidates(model_dir)[:MAX_CANDIDATES_SHOWN]}


@router.post("/nlu/models/{name}/activate")
async def activate_model(name: str, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Put a retrained model into use; every server process switches within a few seconds."""
    require_admin(staff)
    settings = runtime.settings
    try:
        chosen = await run_in_threadpool(active_model.activate, settings.model_dir, name, by=staff.username,
                                         at=runtime.services.clock(), check=lambda path: load_embedded(settings, path))
    except InvalidInput as exc:
        raise ConsoleError(409, str(exc)) from exc
    audit(session, staff, "nlu_activate", "model", name,
          previous=chosen.previous.name if chosen.previous else None)
    await _switch_here(runtime)
    return RedirectResponse("/console/nlu#models", status_code=303)


@router.post("/nlu/models/rollback")
async def roll_back_model(runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Go back to the model in use before the last change."""
    require_admin(staff)
    try:
        back = active_model.roll_back(runtime.settings.model_dir, by=staff.username, at=runtime.services.clock())
    except InvalidInput as exc:
        raise ConsoleError(409, str(exc)) from exc
    audit(session, staff, "nlu_rollback", "model", back.path.name,
          previous=back.previous.name if back.previous else None)
    await _switch_here(runtime)
    return RedirectResponse("/console/nlu#models", status_code=303)


async def _switch_here(runtime: Runtime) -> None:
    """This process switches at once (the others within their check interval), off the event loop."""
    nlu = runtime.dialogue.nlu
    if isinstance(nlu, active_model.ReloadingNlu):
        await run_in_threadpool(nlu.reload)


@router.post("/nlu/retrain")
async def retrain(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """Train a new model with the corrections in the background; the live model stays as it is."""
    require_admin(staff)
    text = nlu_review.export_yaml(await nlu_review.corrections(session, staff))
    settings = runtime.settings
    work: Any = request.app.state.console_retrain
    job = await board(request).start(session, "retrain", staff.username,
                               lambda: work(settings, text, settings.model_dir / "candidates"))
    if job is not None:
        audit(session, staff, "nlu_retrain", "model", "nlu")
    return RedirectResponse("/console/nlu#retrain", status_code=303)
