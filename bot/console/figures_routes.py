"""服务数据 in the console: the 接诉即办 and 好差评 figures of a month, per community or over a street office's
communities, with weekly charts, breakdowns, the overdue list and the monthly report as a spreadsheet.

Community staff see their community; a street office (role street) sees the communities it oversees, together
or one at a time; administrators see every community. What each figure counts is in bot/backend/figures.py and,
in the staff's words, in texts.yml (`figures.help`), shown on the page and in the spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.api.deps import RuntimeDep
from bot.backend import figures
from bot.backend.models import Community, StaffUser
from bot.backend.staff import visible_communities
from bot.bootstrap import Runtime
from bot.console.charts import Bar, share_bars
from bot.console.figures_sheet import monthly_workbook
from bot.console.web import ConsoleError, SessionDep, StaffDep, render, texts

router = APIRouter(prefix="/console")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Scope:
    """What a request looks at: the communities it may see, the ones chosen, the month and the clock."""

    visible: list[Community]
    chosen: list[Community]
    period: figures.Period
    now: dt.datetime
    name: str
    month: str


def _period(month: str, now: dt.datetime, tz: str) -> figures.Period:
    """The month typed (YYYY-MM), or the current local month when blank or malformed."""
    found = MONTH.match(month.strip())
    if found and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 2000:
        return figures.Period.month(int(found.group(1)), int(found.group(2)), tz)
    local = now.astimezone(ZoneInfo(tz))
    return figures.Period.month(local.year, local.month, tz)


async def _scope(runtime: Runtime, session: SessionDep, staff: StaffUser, community: str, month: str) -> Scope:
    """The staff member's communities (404 for one they may not see) and the month asked for."""
    visible = await visible_communities(session, staff)
    if not visible:
        raise ConsoleError(404, "还没有可以查看的社区。")
    chosen = [c for c in visible if c.code == community] if community else visible
    if not chosen:
        raise ConsoleError(404, "没有找到这个社区，或它不在您的查看范围内。")
    now = runtime.services.clock()
    period = _period(month, now, runtime.services.community(chosen[0].code).timezone)
    name = chosen[0].name if len(chosen) == 1 else f"{len(chosen)} 个社区合计"
    return Scope(visible, chosen, period, now, name, f"{period.first:%Y-%m}")


def _rate_bars(rows: list[figures.Row], measure: str, short: bool = False) -> list[Bar]:
    bars = []
    for row in rows:
        rate: figures.Rate = getattr(row.figures, measure)
        label = f"第{int(row.key[-2:])}周" if short else row.label
        bars.append(Bar(label, rate.value, f"{rate.met}/{rate.counted}" if rate.counted else ""))
    return bars


@router.get("/figures")
async def figures_page(request: Request, runtime: RuntimeDep, session: SessionDep, staff: StaffDep,
                       community: str = "", month: str = "") -> Response:
    """A month's figures for one community or all the staff member may see: summary, weekly charts,
    by community and category, and the overdue list (definitions in bot/backend/figures.py)."""
    scope = await _scope(runtime, session, staff, community, month)
    report = await figures.build_report(session, [c.code for c in scope.chosen], scope.period, scope.now)
    words = texts()["figures"]["measures"]
    charts = {m: share_bars(_rate_bars(report.by_week, m, short=True), title=f"按周{words[m]}", width=460,
                            height=220) for m in ("response", "completion", "satisfaction", "coverage")}
    community_chart = (share_bars(_rate_bars(report.by_community, "completion"), title=f"各社区{words['completion']}")
                       if len(scope.chosen) > 1 else None)
    # Order pages are per community: link an overdue order only for someone who can open it.
    linked = staff.role in ("admin", "staff")
    return render(request, "figures.html", runtime, staff, report=report,  # type: ignore[no-any-return]
                  scope=scope, charts=charts, community_chart=community_chart, linked=linked,
                  query=f"community={quote(community)}&month={scope.month}" if community else f"month={scope.month}",
                  ptz=ZoneInfo(scope.period.timezone))


@router.get("/figures/report.xlsx")
async def monthly_report(runtime: RuntimeDep, session: SessionDep, staff: StaffDep, community: str = "",
                         month: str = "") -> Response:
    """The month's figures as a spreadsheet with Chinese headings (汇总, 按社区, 按类别, 按周, 超期工单, 口径说明)."""
    scope = await _scope(runtime, session, staff, community, month)
    report = await figures.build_report(session, [c.code for c in scope.chosen], scope.period, scope.now)
    body = monthly_workbook(report, texts()["figures"], scope.name)
    ascii_name = f"linli-figures-{scope.chosen[0].code if community else 'all'}-{scope.month}.xlsx"
    chinese = quote(f"服务数据月报-{scope.name}-{scope.month}.xlsx")
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{chinese}",
        "Cache-Control": "no-store"})
