"""好差评 in the console: 好评率 over eight weeks, by service and category, and poor-rating follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend import rating_review
from bot.console.charts import Bar, share_bars
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, revealed, visible
from bot.errors import InvalidInput
from knowledge.loader import Catalog

router = APIRouter(prefix="/console")
WEEKS = 8


def _service_name(catalog: Catalog, service_id: str) -> str:
    svc = catalog.get(service_id) if service_id else None
    return svc.name if svc else service_id or "（未关联服务）"


@router.get("/ratings")
async def ratings_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                       status: str = "") -> Response:
    """好评率 of the last eight weeks as a chart and tables, and the poor ratings to follow up."""
    if staff.role == "street":  # no one community (None here would mean all): its satisfaction is on the figures page
        return RedirectResponse("/console/figures", status_code=303)
    community_id = None if staff.role == "admin" else staff.community_id
    code = staff.community.code if staff.community else None
    tz = runtime.services.community(code).timezone
    now = runtime.services.clock()
    weeks = await rating_review.weekly_shares(session, community_id, now=now, tz=tz, weeks=WEEKS)
    since = dt.datetime.combine(dt.date.fromisoformat(weeks[0].key), dt.time(), ZoneInfo(tz))
    chart = share_bars([Bar(dt.date.fromisoformat(w.key).strftime("%m-%d") + "起", w.rate, f"{w.total} 条")
                        for w in weeks], title=f"近 {WEEKS} 周好评率")
    by_service = await rating_review.shares_by_service(session, community_id, since)
    names = {s.key: _service_name(runtime.catalog, s.key) for s in by_service}
    by_category = await rating_review.shares_by_category(session, community_id, since)
    poor = await rating_review.poor_ratings(session, community_id, status)
    notes = await rating_review.follow_up_notes(session, [r.id for r in poor])
    contexts = await rating_review.follow_up_context(session, poor)
    total = sum(w.total for w in weeks)
    good = sum(w.good for w in weeks)
    return render(request, "ratings.html", runtime, staff, chart=chart, weeks=weeks,  # type: ignore[no-any-return]
                  total=total, overall=(good / total if total else None), by_service=by_service, names=names,
                  by_category=by_category, poor=poor, notes=notes, contexts=contexts,
                  next_step=rating_review.NEXT_STEP,
                  statuses=rating_review.FOLLOW_UP_STATUSES, status=status, error="")


@router.post("/ratings/{rating_id}/follow-up")
async def follow_up(rating_id: int, session: SessionDep, staff: CheckedStaffDep,
                    note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Move a poor rating's follow-up on (待回访 → 已回访 → 已整改); on 已整改 the resident is told."""
    rating = await visible(rating_review.visible_rating(session, staff, rating_id), "这条评价")
    try:
        await rating_review.advance_follow_up(session, rating, staff, note.strip())
    except InvalidInput as exc:
        raise ConsoleError(409, f"这条评价已是“{rating.follow_up_status or '无需回访'}”，不能再推进。") from exc
    return RedirectResponse(f"/console/ratings#rating-{rating.id}", status_code=303)


@router.post("/ratings/{rating_id}/reveal")
async def reveal_phone(rating_id: int, session: SessionDep, staff: CheckedStaffDep) -> Response:
    """The number to call the resident back on, in full (audited)."""
    rating = await visible(rating_review.visible_rating(session, staff, rating_id), "这条评价")
    context = (await rating_review.follow_up_context(session, [rating]))[rating.id]
    return revealed(session, staff, "rating", rating.id, phone=context.phone)
