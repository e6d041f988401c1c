"""The figures the plan is judged by (接诉即办 and 好差评), per community or over a street office's communities.

Every figure is counted over a period of local days (a month for the monthly report) as of a moment `now`:

- 按时响应率 (response rate) = orders acknowledged within their acknowledgement deadline / orders whose
  acknowledgement outcome became known in the period: acknowledged in time (counted when acknowledged) or
  the deadline passed unacknowledged (counted at the deadline, whether acknowledged later or never).
  "Acknowledged" is the first status change made by staff (受理, or any later status): the first event in the
  order's history that moves it off 待受理 with an actor other than the resident or the system.
- 按时办结率 (completion rate) = orders closed within their completion deadline / orders closed in time in the
  period plus orders whose completion deadline passed in the period while they were still open (closed late
  or not at all). Closed means 已办结 or 已关闭 by staff.
- An order the resident withdrew (居民撤回) before a deadline counts for neither rate; withdrawn after a
  deadline had passed, it counts as that deadline missed.
- 满意率 (satisfaction rate) = ratings of 满意 or 非常满意 (4–5 分) / ratings given in the period, of work orders
  and bookings.
- 评价覆盖率 (coverage) = subjects that got a rating / work orders done (已办结) in the period plus bookings used in
  it (not cancelled, their time slot over). Only these are asked for a rating, so only these are counted.
- 响应用时中位数 / 办结用时中位数: the median hours from filing to acknowledgement (orders acknowledged in the
  period) and from filing to closing (orders closed by staff in the period), on the wall clock.

Each order counts once per figure, in the period its outcome became known, so monthly figures add up. The
deadlines are the ones stored on the order when it was filed (`workorders.file_work_order`, the one place they
are computed); nothing here works them out again. Counting happens in Python over the period's rows: a
community files hundreds of orders a month, and one pass over them keeps every definition in one readable place.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, Community, Rating, Slot, WorkOrder
from bot.backend.statuses import USED_BOOKING_STATUSES, WorkOrderStatus
from bot.backend.workorders import CLOSED

# The category a booking is counted under next to the work-order categories (维修, 投诉 …).
BOOKING_CATEGORY = "预约服务"
DONE = WorkOrderStatus.DONE
PENDING = WorkOrderStatus.PENDING
# Actors whose status changes are not a staff response: the resident (withdrawing) and the system.
NOT_STAFF = ("resident", "system")
SATISFIED_AT_OR_ABOVE = 4  # 满意 (4) and 非常满意 (5)


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last` (inclusive) in a time zone; `start`/`end` are the UTC bounds [start, end)."""

    first: dt.date
    last: dt.date
    timezone: str

    @classmethod
    def month(cls, year: int, month: int, timezone: str) -> Period:
        """One calendar month."""
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls(dt.date(year, month, 1), nxt - dt.timedelta(days=1), timezone)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), ZoneInfo(self.timezone)).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        after = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(), ZoneInfo(self.timezone)).astimezone(dt.UTC)

    def local_day(self, moment: dt.datetime) -> dt.date:
        """The local date of a moment."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class Rate:
    """`met` of `counted` (None when nothing was counted)."""

    met: int
    counted: int

    @property
    def value(self) -> float | None:
        return self.met / self.counted if self.counted else None


@dataclass(frozen=True)
class Figures:
    """The figures of one group of records (a community, a category, a week, or all of them)."""

    filed: int
    response: Rate
    completion: Rate
    satisfaction: Rate
    coverage: Rate
    median_response_hours: float | None
    median_completion_hours: float | None


@dataclass(frozen=True)
class Row:
    """A breakdown line: its key (community code, category, ISO week like 2026-W49), label and figures."""

    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class OverdueOrder:
    """An open order past a deadline: which ones it missed and since when (the earliest missed)."""

    number: str
    community_code: str
    community_name: str
    category: str
    status: str
    urgent: bool
    assignee: str | None
    ack_due_at: dt.datetime
    due_at: dt.datetime
    ack_missed: bool
    done_missed: bool
    since: dt.datetime

    def overdue_hours(self, now: dt.datetime) -> float:
        """Hours past the earliest missed deadline."""
        return (now - self.since).total_seconds() / 3600


@dataclass(frozen=True)
class Report:
    """Everything the figures page and the monthly spreadsheet show."""

    period: Period
    now: dt.datetime
    communities: list[tuple[str, str]]  # (code, name)
    total: Figures
    by_community: list[Row]
    by_category: list[Row]
    by_week: list[Row]
    overdue: list[OverdueOrder]


@dataclass(frozen=True)
class _Fact:
    """One counted thing: an outcome (`ok`) or a duration (`hours`) of a kind, when and where it happened."""

    kind: str  # filed | response | completion | response_time | completion_time | rating | served
    moment: dt.datetime
    community_id: int
    category: str
    ok: bool = False
    hours: float = 0.0


def acknowledged_at(order: WorkOrder) -> dt.datetime | None:
    """When staff first responded: the first event moving the order off 待受理 by someone other than the
    resident or the system."""
    for event in order.events:
        if event.status != PENDING and event.actor not in NOT_STAFF:
            return event.created_at
    return None


def withdrawn_at(order: WorkOrder) -> dt.datetime | None:
    """When the resident withdrew the order, if it is closed by their withdrawal."""
    if order.status not in CLOSED:
        return None
    closing = [e for e in order.events if e.status in CLOSED]
    last = closing[-1] if closing else None
    return last.created_at if last is not None and last.actor == "resident" else None


def _outcome(done_at: dt.datetime | None, deadline: dt.datetime, withdrawn: dt.datetime | None,
             now: dt.datetime) -> tuple[dt.datetime, bool] | None:
    """(when the outcome became known, whether the deadline was met); None while it is not known yet."""
    if done_at is not None and done_at <= deadline:
        return done_at, True
    if deadline > now or (withdrawn is not None and withdrawn <= deadline):
        return None
    return deadline, False


def _hours(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def order_facts(order: WorkOrder, now: dt.datetime, *, rated: bool = False) -> list[_Fact]:
    """What one work order contributes to the figures (see the module docstring for the rules); `rated`:
    whether the resident has rated it."""

    def fact(kind: str, moment: dt.datetime, ok: bool = False, hours: float = 0.0) -> _Fact:
        return _Fact(kind, moment, order.community_id, order.category, ok, hours)

    def by_now(moment: dt.datetime | None) -> dt.datetime | None:
        return moment if moment is not None and moment <= now else None  # later events had not happened yet

    facts = [fact("filed", order.created_at)]
    acked, withdrawn = by_now(acknowledged_at(order)), by_now(withdrawn_at(order))
    closed = by_now(order.closed_at) if order.status in CLOSED and withdrawn_at(order) is None else None
    for kind, done_at, deadline in (("response", acked, order.ack_due_at), ("completion", closed, order.due_at)):
        known = _outcome(done_at, deadline, withdrawn, now)
        if known is not None:
            facts.append(fact(kind, known[0], ok=known[1]))
    if acked is not None:
        facts.append(fact("response_time", acked, hours=_hours(acked, order.created_at)))
    if closed is not None:
        facts.append(fact("completion_time", closed, hours=_hours(closed, order.created_at)))
        if order.status == DONE:
            facts.append(fact("served", closed, ok=rated))
    return facts


def summarise(facts: Iterable[_Fact]) -> Figures:
    """The figures of a set of facts."""
    counts: dict[str, list[int]] = {k: [0, 0] for k in ("filed", "response", "completion", "rating", "served")}
    hours: dict[str, list[float]] = {"response_time": [], "completion_time": []}
    for f in facts:
        if f.kind in hours:
            hours[f.kind].append(f.hours)
        else:
            counts[f.kind][0] += f.ok
            counts[f.kind][1] += 1
    return Figures(
        filed=counts["filed"][1],
        response=Rate(*counts["response"]),
        completion=Rate(*counts["completion"]),
        satisfaction=Rate(*counts["rating"]),
        coverage=Rate(*counts["served"]),
        median_response_hours=statistics.median(hours["response_time"]) if hours["response_time"] else None,
        median_completion_hours=statistics.median(hours["completion_time"]) if hours["completion_time"] else None,
    )


def iso_week(day: dt.date) -> str:
    """The ISO week of a day, like 2026-W49."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_label(period: Period, key: str) -> str:
    """第49周（12-07–12-13）, cut to the period's days."""
    days = [period.first + dt.timedelta(days=i) for i in range((period.last - period.first).days + 1)]
    inside = [d for d in days if iso_week(d) == key]
    return f"第{int(key[-2:])}周（{inside[0]:%m-%d}–{inside[-1]:%m-%d}）"


def _rows(facts: Sequence[_Fact], key: Callable[[_Fact], str], labels: dict[str, str]) -> list[Row]:
    groups: dict[str, list[_Fact]] = {k: [] for k in labels}
    for f in facts:
        groups.setdefault(key(f), []).append(f)
    return [Row(k, labels.get(k, k), summarise(v)) for k, v in groups.items()]


async def _communities(session: AsyncSession, codes: Sequence[str]) -> list[Community]:
    stmt = select(Community).where(Community.code.in_(list(codes))).order_by(Community.code)
    return list((await session.execute(stmt)).scalars())


async def _order_rows(session: AsyncSession, ids: list[int], period: Period) -> list[WorkOrder]:
    """Orders that can have an outcome in the period: filed before its end and not settled before its start."""
    stmt = select(WorkOrder).where(
        WorkOrder.community_id.in_(ids), WorkOrder.created_at < period.end,
        or_(WorkOrder.created_at >= period.start, WorkOrder.ack_due_at >= period.start,
            WorkOrder.due_at >= period.start, WorkOrder.closed_at >= period.start,
            WorkOrder.status.not_in(CLOSED)))
    return list((await session.execute(stmt)).scalars())


async def _open_orders(session: AsyncSession, ids: list[int]) -> list[WorkOrder]:
    """Every order of the communities still open, whenever it was filed (for the overdue list)."""
    stmt = select(WorkOrder).where(WorkOrder.community_id.in_(ids), WorkOrder.status.not_in(CLOSED))
    return list((await session.execute(stmt)).scalars())


async def _rating_facts(session: AsyncSession, ids: list[int], period: Period, now: dt.datetime) -> list[_Fact]:
    """Ratings given in the period (satisfaction), and the bookings used in it with whether they were rated."""
    stmt = (select(Rating, WorkOrder.category).outerjoin(
        WorkOrder, (Rating.subject_type == "work_order") & (WorkOrder.id == Rating.subject_id))
        .where(Rating.community_id.in_(ids), Rating.subject_type.in_(("work_order", "booking")),
               Rating.created_at >= period.start, Rating.created_at < period.end, Rating.created_at <= now))
    facts = [_Fact("rating", r.created_at, r.community_id, category or BOOKING_CATEGORY,
                   ok=r.score >= SATISFIED_AT_OR_ABOVE) for r, category in (await session.execute(stmt)).all()]
    used = (select(Booking.id, Booking.community_id, Slot.end_at).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.community_id.in_(ids), Booking.status.in_(USED_BOOKING_STATUSES),
                   Slot.end_at >= period.start, Slot.end_at < period.end, Slot.end_at <= now))
    bookings = (await session.execute(used)).all()
    rated = await _rated(session, "booking", [b.id for b in bookings], now)
    facts += [_Fact("served", b.end_at, b.community_id, BOOKING_CATEGORY, ok=b.id in rated) for b in bookings]
    return facts


async def _rated(session: AsyncSession, subject_type: str, subject_ids: list[int], now: dt.datetime) -> set[int]:
    """Which of the subjects have a rating given by `now`."""
    if not subject_ids:
        return set()
    stmt = select(Rating.subject_id).where(Rating.subject_type == subject_type, Rating.subject_id.in_(subject_ids),
                                           Rating.created_at <= now)
    return set((await session.execute(stmt)).scalars())


def overdue_orders(orders: Iterable[WorkOrder], names: dict[int, tuple[str, str]],
                   now: dt.datetime) -> list[OverdueOrder]:
    """Open orders past their acknowledgement (not yet acknowledged) or completion deadline, longest overdue first.

    Statuses are read as they are now: the list is for acting on today, not for looking back."""
    out = []
    for o in orders:
        if o.status in CLOSED:
            continue
        ack_missed = acknowledged_at(o) is None and o.ack_due_at < now
        done_missed = o.due_at < now
        if not (ack_missed or done_missed):
            continue
        code, name = names[o.community_id]
        out.append(OverdueOrder(o.number, code, name, o.category, o.status, o.urgent, o.assignee, o.ack_due_at,
                                o.due_at, ack_missed, done_missed, o.ack_due_at if ack_missed else o.due_at))
    return sorted(out, key=lambda r: (r.since, r.number))


async def build_report(session: AsyncSession, codes: Sequence[str], period: Period, now: dt.datetime) -> Report:
    """The figures of the communities with these codes over the period, as of `now`, with every breakdown."""
    communities = await _communities(session, codes)
    ids = [c.id for c in communities]
    names = {c.id: (c.code, c.name) for c in communities}
    orders = await _order_rows(session, ids, period) if ids else []
    rated = await _rated(session, "work_order", [o.id for o in orders if o.status == DONE], now)
    facts = [f for o in orders for f in order_facts(o, now, rated=o.id in rated)]
    if ids:
        facts += await _rating_facts(session, ids, period, now)
    facts = [f for f in facts if period.start <= f.moment < period.end and f.moment <= now]
    weeks: dict[str, str] = {}
    for i in range((period.last - period.first).days + 1):
        key = iso_week(period.first + dt.timedelta(days=i))
        weeks.setdefault(key, _week_label(period, key))
    categories = sorted({f.category for f in facts if f.category != BOOKING_CATEGORY})
    by_category = _rows(facts, lambda f: f.category, {c: c for c in categories})
    still_open = await _open_orders(session, ids) if ids else []
    return Report(
        period=period, now=now, communities=[(c.code, c.name) for c in communities],
        total=summarise(facts),
        by_community=_rows(facts, lambda f: names[f.community_id][0], {c.code: c.name for c in communities}),
        by_category=by_category,
        by_week=_rows(facts, lambda f: iso_week(period.local_day(f.moment)), weeks),
        overdue=overdue_orders(still_open, names, now),
    )
