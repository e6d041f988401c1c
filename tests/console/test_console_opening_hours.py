"""A community's opening hours set in the console: checked, stored, and used when new days are cut."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx

from bot.config import Settings
from tests.conftest import FixedClock, db_rows, make_live
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf
from tests.factories import make_staff
from tests.resident import Resident

# The one bookable service without hours of its own: its slots follow the community's opening hours.
SERVICE = "venue-booking"
FILE_HOURS = "08:30-12:00,13:30-18:00"
NEW_HOURS = "07:00-11:30,14:00-19:00"


def _day(clock: FixedClock, days: int) -> str:
    return (clock.today + dt.timedelta(days=days)).isoformat()


def _starts(html: str) -> list[str]:
    return re.findall(r'data-slot="\d+">\s*<td[^>]*><b>(\d\d:\d\d)', html)


def _stored(console: ConsoleServer) -> Any:
    return db_rows(console.database_url, "SELECT opening_hours FROM communities WHERE code = 'default'")[0][0]


def test_new_hours_cut_new_days_and_residents_are_offered_them(console: ConsoleServer, settings: Settings,
                                                               nlu: Any, retriever: Any, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    day1 = _day(clock, 1)
    tomorrow = f"/console/bookings?service={SERVICE}&day={day1}"
    with console_client(console.url, "zhang", pw) as zhang, httpx.Client(base_url=console.url, timeout=30) as api:
        before = _starts(zhang.get(tomorrow).text)
        assert before == ["08:30", "10:00", "13:30", "15:00", "16:30"]
        typed = "7:00-11:30，14:00-19:00"  # staff type it their way; it is stored one way
        r = zhang.post("/console/bookings/hours", data={"csrf": page_csrf(zhang, tomorrow), "hours": typed,
                                                        "community": "default", "service": SERVICE, "day": day1})
        assert r.status_code == 303 and SERVICE in r.headers["location"] and day1 in r.headers["location"]
        page = zhang.get(tomorrow).text
        assert NEW_HOURS in page and f"设置文件中的原时间：{FILE_HOURS}" in page
        assert _starts(page) == before  # a day already cut keeps its slots (bookings may hang on them)

        resident = Resident(api)
        resident.say("我想预约后天下午的活动室")
        offered = [b["title"][:5] for b in resident.buttons if re.match(r"\d\d:\d\d", b["title"])]
        assert offered == ["14:00", "15:30", "17:00"], resident.text
        new_day = zhang.get(f"/console/bookings?service={SERVICE}&day={_day(clock, 2)}").text
        assert _starts(new_day) == ["07:00", "08:30", "10:00", "14:00", "15:30", "17:00"]
    assert _stored(console) == NEW_HOURS
    audit = db_rows(console.database_url, "SELECT action, object_id FROM audit_log ORDER BY id")
    assert [(a.action, a.object_id) for a in audit][1:] == [("opening_hours", "default")]
    # Stored in the database, so a restarted server cuts from the same hours.
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    try:
        with console_client(server.url, "zhang", pw) as zhang:
            assert _starts(zhang.get(f"/console/bookings?service={SERVICE}&day={_day(clock, 3)}").text)[0] == "07:00"
    finally:
        server.stop()


def test_short_or_malformed_hours_are_refused_in_chinese(console: ConsoleServer, clock: FixedClock) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    form = {"community": "default", "service": SERVICE, "day": _day(clock, 1)}
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, f"/console/bookings?service={SERVICE}")
        short = zhang.post("/console/bookings/hours", data={**form, "csrf": csrf, "hours": "09:00-12:00,14:00-17:00"})
        assert short.status_code == 422 and "每天合计 6 小时，不足 8 小时" in short.text
        assert 'value="09:00-12:00,14:00-17:00"' in short.text  # what was typed stays in the box
        garbled = zhang.post("/console/bookings/hours", data={**form, "csrf": csrf, "hours": "早上八点到晚上"})
        assert garbled.status_code == 422 and "开放时间“早上八点到晚上”" in garbled.text
        forged = zhang.post("/console/bookings/hours", data={**form, "csrf": "0" * 64, "hours": NEW_HOURS})
        assert forged.status_code == 403
    with httpx.Client(base_url=console.url) as anonymous:
        r = anonymous.post("/console/bookings/hours", data={**form, "csrf": "x", "hours": NEW_HOURS})
        assert r.headers["location"] == "/console/login"
    assert _stored(console) is None
    assert [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")] == ["login"]


def test_another_communitys_hours_are_not_found(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    make_staff(console.database_url, "zhang", "default", password=pw)
    make_staff(console.database_url, "boss", None, role="admin", password=pw)
    with console_client(console.url, "li", pw) as li:
        r = li.post("/console/bookings/hours", data={"csrf": page_csrf(li), "hours": NEW_HOURS, "community": "default"})
        assert r.status_code == 404
        assert "08:00-12:00,14:00-18:00" in li.get(f"/console/bookings?service={SERVICE}").text
    assert _stored(console) is None
    with console_client(console.url, "boss", pw) as boss:
        csrf = page_csrf(boss)
        assert boss.post("/console/bookings/hours", data={"csrf": csrf, "hours": NEW_HOURS}).status_code == 404
        assert boss.post("/console/bookings/hours",
                         data={"csrf": csrf, "hours": NEW_HOURS, "community": "default"}).status_code == 303
    assert _stored(console) == NEW_HOURS
    actions = [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log")]
    assert actions.count("opening_hours") == 1
