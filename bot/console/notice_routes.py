"""社区通知 in the console: staff write a notice (停水停电, 防灾预警, 疫苗接种, 活动通知) for one of the communities
they may see, optionally for one building or village group, and follow how many residents have it.

Who receives it, and why urgent warnings reach residents who stopped notices, is in bot/backend/notices.py
and, in the staff's words, in texts.yml (`notices.help`), shown on the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend import notices
from bot.backend.models import Community, StaffUser
from bot.backend.staff import visible_communities
from bot.bootstrap import Runtime
from bot.console.web import CheckedStaffDep, ConsoleError, SessionDep, StaffDep, render, texts

router = APIRouter(prefix="/console")


async def _page(request: Request, runtime: Runtime, session: SessionDep, staff: StaffUser, *,
                communities: list[Community], status_code: int = 200, error: str = "",
                typed: dict[str, str] | None = None, sent: int | None = None) -> Response:
    """The form and the latest notices of the communities the staff member may see, with their counts."""
    recent = await notices.recent(session, [c.id for c in communities])
    counts = await notices.counts(session, recent)
    return render(request, "notices.html", runtime, staff, status_code=status_code,  # type: ignore[no-any-return]
                  active="notices", communities=communities, kinds=notices.kinds(), recent=recent, counts=counts,
                  error=error, typed=typed or {}, sent=sent, max_text=notices.MAX_TEXT, max_area=notices.MAX_AREA,
                  help=texts()["notices"]["help"])


@router.get("/notices")
async def notices_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                       sent: int | None = None) -> Response:
    """Write a notice; the notices already sent, each with delivered / waiting / failed."""
    communities = await visible_communities(session, staff)
    if not communities:
        raise ConsoleError(404, "还没有可以发通知的社区。")
    return await _page(request, runtime, session, staff, communities=communities, sent=sent)


@router.post("/notices")
async def send_notice(request: Request, runtime: RuntimeDep, session: SessionDep, staff: CheckedStaffDep,
                      community: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                      text: Annotated[str, Form()] = "", area: Annotated[str, Form()] = "",
                      urgent: Annotated[str, Form()] = "") -> Response:
    """Send a notice to a community the staff member may see (404 for any other), then show it in the list."""
    communities = await visible_communities(session, staff)
    chosen = next((c for c in communities if c.code == community), None)
    words = texts()["notices"]["errors"]
    if chosen is None:
        raise ConsoleError(404, words["community"])
    typed = {"community": community, "kind": kind, "text": text, "area": area, "urgent": urgent}
    error = ""
    if kind not in notices.kinds():
        error = words["kind"]
    elif not text.strip() or len(text.strip()) > notices.MAX_TEXT:
        error = words["text"].format(max=notices.MAX_TEXT)
    elif len(area.strip()) > notices.MAX_AREA:
        error = words["area"].format(max=notices.MAX_AREA)
    if error:
        return await _page(request, runtime, session, staff, communities=communities, status_code=422,
                           error=error, typed=typed)
    notice = await notices.send_notice(session, staff, chosen, kind=kind, text=text, urgent=bool(urgent),
                                       area=area)
    return RedirectResponse(f"/console/notices?sent={notice.id}", status_code=303)
