"""The figures the plan is judged by, from known records on a fixed clock: every number checked by hand.

The records (December 2026, Shanghai time, "now" Sunday 12-20 12:00; 维修 4 h to acknowledge and 72 h to
finish, 投诉 24 h and 120 h, on the wall clock):

| order | community | filed    | acknowledged        | closed                     | rated |
|-------|-----------|----------|---------------------|----------------------------|-------|
| O1 维修 | hexie   | 12-01 09 | 12-01 10 (1 h)       | 已办结 12-02 09 (24 h)      | 5     |
| O2 维修 | hexie   | 12-02 09 | 12-02 15 (6 h, late) | 已办结 12-06 09 (96 h, late) | 2     |
| O3 投诉 | hexie   | 12-10 09 | never                | open                       |       |
| O4 维修 | hexie   | 12-20 10 | not yet (due 14:00)  | open                       |       |
| O5 维修 | hexie   | 12-03 09 | withdrawn 12-03 10   |                            |       |
| O6 维修 | hexie   | 11-29 09 | 11-29 10 (November)  | 已办结 12-01 12 (51 h)      | no    |
| O7 维修 | hexie   | 12-15 09 | 12-15 10 (1 h)       | open, due 12-18 09         |       |
| O8 投诉 | hexie   | 12-04 09 | 已关闭 12-04 12 (3 h) | 已关闭 12-04 12 (3 h)        |       |
| O9 维修 | qinghe  | 12-08 09 | 12-08 09:30 (0.5 h)  | 已办结 12-09 09 (24 h)      | 4     |

Bookings of hexie: B1 used 12-05 and rated 5, B2 used 12-06 and not rated, B3 cancelled, B4 on 12-25.
A conversation rated 1 is not a work order or a booking and counts for nothing here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import bookings, figures, workorders
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Community, Slot, WorkOrder
from bot.backend.ratings import record_rating
from bot.backend.residents import ensure_community, ensure_identity
from bot.backend.staff import create_staff, visible_communities

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 20, 12, tzinfo=TZ)
DECEMBER = figures.Period.month(2026, 12, "Asia/Shanghai")
DEADLINES = {"维修": {"ack": 4, "done": 72}, "投诉": {"ack": 24, "done": 120}}


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Shanghai moment in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


class Records:
    """Files orders, moves them on and rates them at given moments, through the backend functions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.residents: dict[int, int] = {}

    async def community(self, code: str) -> Community:
        c = await ensure_community(self.session, code, f"{code}社区")
        identity = await ensure_identity(self.session, "web", f"resident-of-{code}", c)
        self.residents[c.id] = identity.resident_id
        return c

    async def order(self, c: Community, category: str, filed: dt.datetime) -> WorkOrder:
        return await workorders.file_work_order(
            self.session, community_id=c.id, resident_id=self.residents[c.id], conversation_id=None,
            category=category, description="楼道灯坏了", location=None, contact_phone=None, service_id=None,
            deadlines=DEADLINES, local_day=filed.date(), now=filed)

    async def move(self, order: WorkOrder, status: str, when: dt.datetime, actor: str = "zhang") -> None:
        await workorders.change_status(self.session, order, status, actor=actor, now=when)

    async def rate(self, c: Community, subject_type: str, subject_id: int, score: int, when: dt.datetime) -> None:
        rating = await record_rating(self.session, community_id=c.id, resident_id=self.residents[c.id],
                                     subject_type=subject_type, subject_id=subject_id, score=score)
        rating.created_at = when

    async def booking(self, c: Community, start: dt.datetime, *, cancel: bool = False) -> int:
        slot = Slot(community_id=c.id, service_id="bathing-assistance", day=start.date(), start_at=start,
                    end_at=start + dt.timedelta(hours=1), capacity=4)
        self.session.add(slot)
        await self.session.flush()
        b = await bookings.book(self.session, community_id=c.id, resident_id=self.residents[c.id],
                                conversation_id=None, service_id="bathing-assistance", slot_id=slot.id, people=1,
                                name="孙阿姨", phone="13500001111", local_day=start.date())
        assert b is not None
        if cancel:
            await bookings.cancel(self.session, b)
        return b.id


async def seed(r: Records) -> dict[str, WorkOrder]:
    """The records of the table in the module docstring."""
    hexie, qinghe = await r.community("hexie"), await r.community("qinghe")
    o = {}
    o["O1"] = await r.order(hexie, "维修", at(12, 1, 9))
    await r.move(o["O1"], "已受理", at(12, 1, 10))
    await r.move(o["O1"], "已办结", at(12, 2, 9))
    await r.rate(hexie, "work_order", o["O1"].id, 5, at(12, 2, 10))
    o["O2"] = await r.order(hexie, "维修", at(12, 2, 9))
    await r.move(o["O2"], "处理中", at(12, 2, 15))
    await r.move(o["O2"], "已办结", at(12, 6, 9))
    await r.rate(hexie, "work_order", o["O2"].id, 2, at(12, 6, 10))
    o["O3"] = await r.order(hexie, "投诉", at(12, 10, 9))
    o["O4"] = await r.order(hexie, "维修", at(12, 20, 10))
    o["O5"] = await r.order(hexie, "维修", at(12, 3, 9))
    await workorders.withdraw(r.session, o["O5"], now=at(12, 3, 10))
    o["O6"] = await r.order(hexie, "维修", at(11, 29, 9))
    await r.move(o["O6"], "已受理", at(11, 29, 10))
    await r.move(o["O6"], "已办结", at(12, 1, 12))
    o["O7"] = await r.order(hexie, "维修", at(12, 15, 9))
    await workorders.note_event(r.session, o["O7"], workorders.URGED_NOTE, now=at(12, 15, 9, 30))
    await r.move(o["O7"], "已受理", at(12, 15, 10))
    await r.move(o["O7"], "处理中", at(12, 16, 10))
    o["O8"] = await r.order(hexie, "投诉", at(12, 4, 9))
    await r.move(o["O8"], "已关闭", at(12, 4, 12))
    o["O9"] = await r.order(qinghe, "维修", at(12, 8, 9))
    await r.move(o["O9"], "已受理", at(12, 8, 9, 30))
    await r.move(o["O9"], "已办结", at(12, 9, 9))
    await r.rate(qinghe, "work_order", o["O9"].id, 4, at(12, 9, 12))
    b1 = await r.booking(hexie, at(12, 5, 9))
    await r.rate(hexie, "booking", b1, 5, at(12, 5, 11))
    await r.booking(hexie, at(12, 6, 9))
    await r.booking(hexie, at(12, 7, 9), cancel=True)
    await r.booking(hexie, at(12, 25, 9))
    await r.rate(hexie, "conversation", 1, 1, at(12, 7, 9))
    return o


def with_records(database_url: str, check: Callable[[AsyncSession, dict[str, WorkOrder]], Awaitable[None]]) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                orders = await seed(Records(session))
                await check(session, orders)
        finally:
            await engine.dispose()

    asyncio.run(run())


def rates(f: figures.Figures) -> dict[str, tuple[int, int]]:
    return {name: (getattr(f, name).met, getattr(f, name).counted)
            for name in ("response", "completion", "satisfaction", "coverage")}


def test_the_street_office_month_adds_up_to_the_hand_counted_figures(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        report = await figures.build_report(session, ["hexie", "qinghe"], DECEMBER, NOW)
        total = report.total
        # Response: O1, O7, O8, O9 in time; O2 late and O3 never (at their deadlines). O4 is not due yet,
        # O5 was withdrawn before its deadline, O6 was acknowledged in November.
        # Completion: O1, O6, O8, O9 in time; O2 late, O3 and O7 past their deadlines and open.
        # Satisfaction: O1 5, O2 2, O9 4, B1 5. Coverage: O1, O2, O9, B1 rated of O1, O2, O6, O9, B1, B2.
        assert rates(total) == {"response": (4, 6), "completion": (4, 7), "satisfaction": (3, 4),
                                "coverage": (4, 6)}
        assert total.response.value == 4 / 6 and total.satisfaction.value == 0.75
        assert total.filed == 8  # O6 was filed in November
        assert total.median_response_hours == 1.0  # 0.5, 1, 1, 3, 6 (O6's was in November)
        assert total.median_completion_hours == 24.0  # 3, 24, 24, 51, 96

    with_records(any_database_url, check)


def test_each_community_and_category_has_its_own_figures(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        report = await figures.build_report(session, ["hexie", "qinghe"], DECEMBER, NOW)
        by_community = {r.key: r for r in report.by_community}
        assert rates(by_community["hexie"].figures) == {"response": (3, 5), "completion": (3, 6),
                                                        "satisfaction": (2, 3), "coverage": (3, 5)}
        assert rates(by_community["qinghe"].figures) == {"response": (1, 1), "completion": (1, 1),
                                                         "satisfaction": (1, 1), "coverage": (1, 1)}
        assert by_community["hexie"].label == "hexie社区"
        by_category = {r.key: r.figures for r in report.by_category}
        assert list(by_category) == ["投诉", "维修", "预约服务"]
        assert rates(by_category["维修"]) == {"response": (3, 4), "completion": (3, 5), "satisfaction": (2, 3),
                                             "coverage": (3, 4)}
        assert rates(by_category["投诉"]) == {"response": (1, 2), "completion": (1, 2), "satisfaction": (0, 0),
                                             "coverage": (0, 0)}
        assert rates(by_category["预约服务"]) == {"response": (0, 0), "completion": (0, 0),
                                               "satisfaction": (1, 1), "coverage": (1, 2)}
        assert by_category["投诉"].median_completion_hours == 3.0
        assert by_category["预约服务"].satisfaction.value == 1.0 and by_category["投诉"].satisfaction.value is None

        one = await figures.build_report(session, ["qinghe"], DECEMBER, NOW)
        assert rates(one.total) == rates(by_community["qinghe"].figures) and one.overdue == []

    with_records(any_database_url, check)


def test_weeks_are_iso_weeks_cut_to_the_month(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        report = await figures.build_report(session, ["hexie", "qinghe"], DECEMBER, NOW)
        weeks = {r.key: r for r in report.by_week}
        assert list(weeks) == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]
        assert weeks["2026-W49"].label == "第49周（12-01–12-06）"
        assert weeks["2026-W53"].label == "第53周（12-28–12-31）"
        assert rates(weeks["2026-W49"].figures)["response"] == (2, 3)  # O1, O8 in time; O2 late
        assert rates(weeks["2026-W50"].figures)["response"] == (1, 2)  # O9 in time; O3 missed on 12-11
        assert rates(weeks["2026-W51"].figures)["completion"] == (0, 2)  # O3 (12-15) and O7 (12-18) missed
        assert weeks["2026-W52"].figures.filed == 0 and weeks["2026-W52"].figures.response.value is None

    with_records(any_database_url, check)


def test_the_overdue_list_is_open_orders_past_a_deadline_longest_first(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        report = await figures.build_report(session, ["hexie", "qinghe"], DECEMBER, NOW)
        assert [o.number for o in report.overdue] == [orders["O3"].number, orders["O7"].number]
        o3, o7 = report.overdue
        assert (o3.ack_missed, o3.done_missed, o3.since) == (True, True, at(12, 11, 9))
        assert (o7.ack_missed, o7.done_missed, o7.since) == (False, True, at(12, 18, 9))
        assert o7.overdue_hours(NOW) == 51.0 and o7.community_name == "hexie社区"
        # Later on, O4 misses its acknowledgement deadline too.
        later = await figures.build_report(session, ["hexie"], DECEMBER, at(12, 20, 15))
        assert orders["O4"].number in [o.number for o in later.overdue]

    with_records(any_database_url, check)


def test_an_earlier_month_counts_what_was_known_then(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        november = await figures.build_report(session, ["hexie"], figures.Period.month(2026, 11, "Asia/Shanghai"),
                                              NOW)
        assert rates(november.total)["response"] == (1, 1) and november.total.filed == 1
        assert rates(november.total)["completion"] == (0, 0)  # O6 closed on 12-01
        assert november.total.median_response_hours == 1.0

    with_records(any_database_url, check)


def test_a_report_as_of_an_earlier_moment_ignores_what_came_later(any_database_url: str) -> None:
    async def check(session: AsyncSession, orders: dict[str, WorkOrder]) -> None:
        early = await figures.build_report(session, ["hexie", "qinghe"], DECEMBER, at(12, 2, 9, 30))
        # O1 acknowledged and done, O6 done; O2's deadline (13:00) is still ahead; O1's rating comes at 10:00.
        assert rates(early.total) == {"response": (1, 1), "completion": (2, 2), "satisfaction": (0, 0),
                                      "coverage": (0, 2)}
        assert early.total.filed == 2 and early.overdue == []

    with_records(any_database_url, check)


def test_a_withdrawal_after_a_missed_deadline_still_counts_as_missed(database_url: str) -> None:
    async def run() -> None:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            r = Records(session)
            c = await r.community("hexie")
            order = await r.order(c, "维修", at(12, 14, 9))
            await workorders.withdraw(session, order, now=at(12, 14, 16))  # 3 h after its 13:00 deadline
            report = await figures.build_report(session, ["hexie"], DECEMBER, NOW)
            assert rates(report.total)["response"] == (0, 1)
            assert rates(report.total)["completion"] == (0, 0)  # withdrawn before its completion deadline
            assert report.total.median_completion_hours is None and report.overdue == []
        await engine.dispose()

    asyncio.run(run())


def test_a_street_office_sees_its_set_of_communities(database_url: str) -> None:
    async def run() -> list[list[str]]:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            a, b = [await ensure_community(session, code, code) for code in ("a", "b")]
            await ensure_community(session, "c", "c")
            seen: list[list[str]] = []
            for name, role, own, oversees in (("street", "street", None, [a, b]), ("staff", "staff", a, []),
                                               ("admin", "admin", None, [])):
                user = await create_staff(session, name, "a-long-password", community=own, role=role,
                                          oversees=oversees)
                seen.append([c.code for c in await visible_communities(session, user)])
        await engine.dispose()
        return seen

    assert asyncio.run(run()) == [["a", "b"], ["a"], ["a", "b", "c"]]
