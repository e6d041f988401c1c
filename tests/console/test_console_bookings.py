"""Bookings in the console: the day's slots, close/reopen/add/resize, cancel with a notice, scoping."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
from typing import Any

import httpx
from openpyxl import load_workbook

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.console.list_export import XLSX
from bot.dialogue.reminders import queue_booking_messages
from tests.conftest import FixedClock, db_rows, next_week
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf
from tests.factories import make_staff
from tests.resident import Resident

SERVICE = "bathing-assistance"


def _day(clock: FixedClock) -> str:
    """下周三: the day residents ask for below, open for 助浴 whatever the weekday of the run."""
    return next_week(clock.today, 2).isoformat()


def _slot_ids(html: str) -> dict[str, int]:
    """Slot ids by local start time, read from the day view."""
    return {start: int(sid) for sid, start in re.findall(r'data-slot="(\d+)">\s*<td[^>]*><b>(\d\d:\d\d)', html)}


def _first_slot(client: httpx.Client, day: str) -> int:
    return next(iter(_slot_ids(client.get("/console/bookings", params={"service": SERVICE, "day": day}).text).values()))



def test_day_view_shows_slots_and_opening_hours(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/bookings", params={"service": SERVICE, "day": _day(clock)})
        assert page.status_code == 200
        assert "08:30-12:00,13:30-18:00" in page.text and "助浴" in page.text
        slots = _slot_ids(page.text)
        assert slots and "关闭" in page.text and "加开时段" in page.text
        assert zhang.get("/console/bookings").status_code == 200  # defaults: first bookable service, today
        assert zhang.get("/console/bookings", params={"service": "no-such-service"}).status_code == 404


def test_closed_slot_is_not_offered_and_cancel_reaches_the_resident(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    day = _day(clock)
    path = f"/console/bookings?service={SERVICE}&day={day}"
    with console_client(console.url, "zhang", pw) as zhang, httpx.Client(base_url=console.url, timeout=30) as api:
        slots = _slot_ids(zhang.get(path).text)
        csrf = page_csrf(zhang, path)
        afternoon = [t for t in slots if t >= "12:00"]
        for t in afternoon[1:]:
            r = zhang.post(f"/console/bookings/slots/{slots[t]}/close", data={"csrf": csrf})
            assert r.status_code == 303 and SERVICE in r.headers["location"]
        page = zhang.get(path).text
        assert page.count("重新开放") == len(afternoon) - 1

        resident = Resident(api)
        resident.say("我想预约下周三下午的助浴服务")
        offered = [b["title"][:5] for b in resident.buttons if re.match(r"\d\d:\d\d", b["title"])]
        assert offered and all(t not in afternoon[1:] for t in offered), offered
        resident.say("算了")

        reopened = zhang.post(f"/console/bookings/slots/{slots[afternoon[1]]}/open", data={"csrf": csrf})
        assert reopened.status_code == 303
        number = resident.book("我想预约下周三下午的助浴服务")
        page = zhang.get(path).text
        assert number in page and "135****1111" in page and "13500001111" not in page

        r = zhang.post(f"/console/bookings/{number}/cancel", data={"csrf": csrf, "reason": "护理员生病"})
        assert r.status_code == 303
        again = zhang.post(f"/console/bookings/{number}/cancel", data={"csrf": csrf})
        assert again.status_code == 409 and "已取消" in again.text
        conv, token = resident.last["conversation_id"], resident.last["conversation_token"]
        msgs = api.get(f"/api/v1/conversations/{conv}/messages", params={"token": token}).json()
        assert any(f"预约{number}" in m["text"] and "护理员生病" in m["text"] for m in msgs)
    assert db_rows(console.database_url, "SELECT status FROM bookings") == [("已取消",)]
    assert sum(r.booked for r in db_rows(console.database_url, "SELECT booked FROM slots")) == 0
    actions = [r.action for r in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("close_slot") == len(afternoon) - 1 and "open_slot" in actions
    assert actions[-1] == "cancel_booking"


def test_add_slot_and_capacity_never_below_booked(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    day = _day(clock)
    path = f"/console/bookings?service={SERVICE}&day={day}"
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, path)
        form = {"csrf": csrf, "service": SERVICE, "day": day, "start": "19:00", "minutes": "90", "capacity": "2"}
        assert zhang.post("/console/bookings/slots", data=form).status_code == 303
        page = zhang.get(path).text
        assert "19:00–20:30" in page
        assert zhang.post("/console/bookings/slots", data=form).status_code == 409
        bad = zhang.post("/console/bookings/slots", data={**form, "start": "晚上"})
        assert bad.status_code == 422
        sid = _slot_ids(page)["19:00"]
        resized = zhang.post(f"/console/bookings/slots/{sid}/capacity", data={"csrf": csrf, "capacity": "6"})
        assert resized.status_code == 303
        assert "0 / 6" in zhang.get(path).text
    import sqlalchemy as sa

    from bot.backend.db import sync_url  # a booked place, so the capacity floor applies

    engine = sa.create_engine(sync_url(console.database_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE slots SET booked = 3 WHERE id = :i"), {"i": sid})
    engine.dispose()
    with console_client(console.url, "zhang", pw) as zhang:
        r = zhang.post(f"/console/bookings/slots/{sid}/capacity", data={"csrf": page_csrf(zhang), "capacity": "2"})
        assert r.status_code == 422 and "不能少于 3" in r.text
    assert db_rows(console.database_url, "SELECT capacity FROM slots WHERE id = :i", i=sid)[0].capacity == 6
    actions = [r.action for r in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("add_slot") == 1 and actions.count("slot_capacity") == 1


def test_another_communitys_slots_and_bookings_are_not_found(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    make_staff(console.database_url, "li", "qinghe-village", password=pw)
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    day = _day(clock)
    with console_client(console.url, "zhang", pw) as zhang:
        sid = _first_slot(zhang, day)
    with console_client(console.url, "li", pw) as li:
        csrf = page_csrf(li)
        for action in ("close", "open", "capacity"):
            r = li.post(f"/console/bookings/slots/{sid}/{action}", data={"csrf": csrf, "capacity": "9"})
            assert r.status_code == 404, action
        assert li.post("/console/bookings/YY20990101001/cancel", data={"csrf": csrf}).status_code == 404
        r = li.post("/console/bookings/slots", data={"csrf": csrf, "service": SERVICE, "day": day, "start": "19:00",
                                                     "community": "default"})
        assert r.status_code == 404
        page = li.get("/console/bookings", params={"service": SERVICE, "day": day, "community": "default"}).text
        assert "08:00-12:00,14:00-18:00" in page and f'data-slot="{sid}"' not in page
    slot = db_rows(console.database_url, "SELECT closed, capacity FROM slots WHERE id = :i", i=sid)[0]
    assert not slot.closed and slot.capacity != 9
    with console_client(console.url, "boss", pw) as boss:
        page = boss.get("/console/bookings", params={"service": SERVICE, "day": day, "community": "default"}).text
        assert f'data-slot="{sid}"' in page and "08:30-12:00,13:30-18:00" in page


def test_booking_posts_need_a_session_and_csrf(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    posts = ["/console/bookings/slots/1/close", "/console/bookings/slots/1/open", "/console/bookings/slots/1/capacity",
             "/console/bookings/slots", "/console/bookings/YY20990101001/cancel"]
    with httpx.Client(base_url=console.url) as anonymous:
        assert anonymous.get("/console/bookings").headers["location"] == "/console/login"
        for path in posts:
            assert anonymous.post(path, data={"csrf": "x"}).headers["location"] == "/console/login", path
    with console_client(console.url, "zhang", pw) as zhang:
        sid = _first_slot(zhang, _day(clock))
        for path in [p.replace("/1/", f"/{sid}/") for p in posts]:
            assert zhang.post(path, data={"csrf": "0" * 64, "capacity": "1", "service": SERVICE, "day": _day(clock),
                                          "start": "19:00"}).status_code == 403, path
    assert not any(r.closed for r in db_rows(console.database_url, "SELECT closed FROM slots"))
    assert [r.action for r in db_rows(console.database_url, "SELECT action FROM audit_log")] == ["login"]


def test_an_extra_slot_on_an_unopened_day_keeps_its_regular_slots_and_the_past_is_refused(
        console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    day, later = _day(clock), next_week(clock.today, 2) + dt.timedelta(days=7)
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang)
        form = {"csrf": csrf, "service": SERVICE, "day": day, "start": "19:00", "minutes": "60", "capacity": "2"}
        assert zhang.post("/console/bookings/slots", data=form).status_code == 303  # nobody had opened the day
        with_extra = _slot_ids(zhang.get("/console/bookings", params={"service": SERVICE, "day": day}).text)
        regular = _slot_ids(zhang.get("/console/bookings", params={"service": SERVICE, "day": later}).text)
        assert len(regular) > 1 and set(with_extra) == set(regular) | {"19:00"}

        yesterday = (clock.today - dt.timedelta(days=1)).isoformat()
        past = zhang.post("/console/bookings/slots", data={**form, "day": yesterday})
        assert past.status_code == 422 and "已经过去了" in past.text and "19:00" not in _slot_ids(past.text)


def _export(client: httpx.Client, path: str, data: dict[str, str]) -> list[list[str]]:
    r = client.post(path, data=data)
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX), r.text[:300]
    ws = load_workbook(io.BytesIO(r.content)).active
    return [["" if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)]


def test_a_booked_slot_closes_only_when_confirmed_and_attendance_decides_the_rating_request(
        console: ConsoleServer, clock: FixedClock, settings: Settings, nlu: Any, retriever: Any) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    day = _day(clock)
    with console_client(console.url, "zhang", pw) as zhang, httpx.Client(base_url=console.url, timeout=30) as api:
        came = Resident(api).book("我想预约下周三上午的助浴服务", phone="13500001111")
        missed = Resident(api).book("我想预约下周三上午的助浴服务", phone="13500002222")
        csrf = page_csrf(zhang)
        [(slot_id,)] = db_rows(console.database_url, "SELECT DISTINCT slot_id FROM bookings")
        asked = zhang.post(f"/console/bookings/slots/{slot_id}/close", data={"csrf": csrf})
        assert asked.status_code == 409 and "已有 2 人预约" in asked.text and "仍然关闭" in asked.text
        assert not db_rows(console.database_url, "SELECT closed FROM slots WHERE id = :i", i=slot_id)[0].closed
        closed = zhang.post(f"/console/bookings/slots/{slot_id}/close", data={"csrf": csrf, "confirm": "1"})
        assert closed.status_code == 303

        early = zhang.post(f"/console/bookings/{came}/attendance", data={"csrf": csrf, "status": "已到场"})
        assert early.status_code == 409 and "还没到" in early.text
        clock.advance(dt.timedelta(days=(next_week(clock.today, 2) - clock.today).days + 1))  # the day after
        for number, status in ((came, "已到场"), (missed, "未到场")):
            r = zhang.post(f"/console/bookings/{number}/attendance",
                           data={"csrf": csrf, "status": status, "view": "all"})
            assert r.status_code == 303 and "service=all" in r.headers["location"]

        every = zhang.get("/console/bookings", params={"service": "all", "day": day}).text
        assert "全部服务" in every and came in every and missed in every and "助浴" in every
        assert "幸福路8号" in every and "13500001111" not in every  # a home visit's address; the phone masked
        only_missed = zhang.get("/console/bookings", params={"service": "all", "day": day, "status": "未到场"}).text
        assert missed in only_missed and came not in only_missed

        form = {"csrf": csrf, "service": "all", "day": day, "community": "default"}
        masked = _export(zhang, "/console/bookings/export", form)
        assert masked[0][:3] == ["预约号", "服务", "日期"] and len(masked) == 3
        assert {r[6] for r in masked[1:]} == {"135****1111", "135****2222"}
        assert {r[8] for r in masked[1:]} == {"已到场", "未到场"}
        full = _export(zhang, "/console/bookings/export", {**form, "status": "未到场", "full_phone": "1"})
        assert [r[0] for r in full[1:]] == [missed] and full[1][6] == "13500002222"

    async def queue() -> int:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            return await queue_booking_messages(runtime.services, clock())
        finally:
            await runtime.close()

    asyncio.run(queue())
    asked_to_rate = dict(db_rows(console.database_url, "SELECT number, rating_requested FROM bookings"))
    assert asked_to_rate == {came: True, missed: False}
    exports = db_rows(console.database_url,
                      "SELECT detail FROM audit_log WHERE action = 'export' ORDER BY id")
    assert ['"full_phone": false' in str(r.detail) or "'full_phone': False" in str(r.detail) for r in exports] \
        == [True, False]
    actions = [r.action for r in db_rows(console.database_url, "SELECT action FROM audit_log")]
    assert actions.count("close_slot") == 1 and actions.count("booking_attendance") == 2
