"""Staff manage slot calendars and bookings of their own community; residents see the effect."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from tests.api.test_staff import login
from tests.conftest import FixedClock, db_rows, next_week
from tests.factories import make_staff
from tests.resident import Resident


def test_staff_close_and_add_slots_and_cancel_with_notice(live: httpx.Client, settings, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    pw = make_staff(settings.database_url, "zhang", "default")
    make_staff(settings.database_url, "li", "qinghe-village", password=pw)
    zhang, li = login(live, "zhang", pw), login(live, "li", pw)
    day = next_week(clock.today, 2).isoformat()  # 下周三: open for 助浴 whatever the weekday of the run

    slots = live.get("/api/v1/staff/slots", headers=zhang, params={"service": "bathing-assistance", "day": day}).json()
    assert slots and all(not s["closed"] for s in slots)
    for s in slots:
        if s["start"] < "12:00":
            assert live.post(f"/api/v1/staff/slots/{s['id']}/close", headers=zhang).status_code == 200
    assert live.post(f"/api/v1/staff/slots/{slots[0]['id']}/close", headers=li).status_code == 404

    # With the morning closed, a resident asking for that morning is offered other times.
    r = Resident(live)
    r.say("我想预约下周三上午的助浴服务")
    assert "没有空位" in r.text
    assert all(b["title"][:2] >= "12" for b in r.buttons if re.match(r"\d\d:", b["title"]))
    r.say("算了")

    added = live.post("/api/v1/staff/slots", headers=zhang,
                      json={"service": "bathing-assistance", "start": f"{day}T07:00", "minutes": 60, "capacity": 1})
    assert added.status_code == 201, added.text
    assert live.post("/api/v1/staff/slots", headers=zhang,
                     json={"service": "bathing-assistance", "start": f"{day}T07:00"}).status_code == 409

    number = r.book("我想预约下周三上午的助浴服务")
    listed = live.get("/api/v1/staff/bookings", headers=zhang, params={"day": day}).json()
    assert [b["number"] for b in listed] == [number]
    assert listed[0]["phone"] == "135****1111"
    assert live.get("/api/v1/staff/bookings", headers=li, params={"day": day}).json() == []
    assert live.post(f"/api/v1/staff/bookings/{number}/cancel", headers=li, json={}).status_code == 404

    done = live.post(f"/api/v1/staff/bookings/{number}/cancel", headers=zhang, json={"reason": "护理员生病"})
    assert done.status_code == 200
    conv, token = r.last["conversation_id"], r.last["conversation_token"]
    msgs = live.get(f"/api/v1/conversations/{conv}/messages", params={"token": token}).json()
    assert any("护理员生病" in m["text"] for m in msgs)
    assert db_rows(settings.database_url, "SELECT status FROM bookings") == [("已取消",)]
    audit = {row[0] for row in db_rows(settings.database_url, "SELECT action FROM audit_log")}
    assert {"close_slot", "add_slot", "cancel_booking"} <= audit


def test_staff_api_refuses_past_slots_and_asks_before_closing_a_booked_one(live: httpx.Client, settings,  # type: ignore[no-untyped-def]
                                                                             clock: FixedClock) -> None:
    pw = make_staff(settings.database_url, "zhang", "default")
    zhang = login(live, "zhang", pw)
    yesterday = (clock.today - dt.timedelta(days=1)).isoformat()
    past = live.post("/api/v1/staff/slots", headers=zhang, json={"service": "bathing-assistance",
                                                                 "start": f"{yesterday}T19:00"})
    assert past.status_code == 422

    day = next_week(clock.today, 2).isoformat()  # never looked at: the extra slot must not replace the others
    added = live.post("/api/v1/staff/slots", headers=zhang, json={"service": "bathing-assistance",
                                                                  "start": f"{day}T19:00"})
    assert added.status_code == 201
    slots = live.get("/api/v1/staff/slots", headers=zhang, params={"service": "bathing-assistance", "day": day}).json()
    assert len(slots) > 1 and "19:00" in [s["start"] for s in slots]

    number = Resident(live).book("我想预约下周三上午的助浴服务")
    [slot] = [s for s in live.get("/api/v1/staff/slots", headers=zhang,
                                  params={"service": "bathing-assistance", "day": day}).json() if s["booked"]]
    asked = live.post(f"/api/v1/staff/slots/{slot['id']}/close", headers=zhang)
    assert asked.status_code == 409 and "confirm=true" in asked.text
    closed = live.post(f"/api/v1/staff/slots/{slot['id']}/close", headers=zhang, params={"confirm": "true"})
    assert closed.status_code == 200 and closed.json()["booked"] == 1
    listed = live.get("/api/v1/staff/bookings", headers=zhang, params={"day": day}).json()
    assert listed[0]["number"] == number and listed[0]["status"] == "已预约" and listed[0]["address"]
    early = live.post(f"/api/v1/staff/bookings/{number}/attendance", headers=zhang, json={"status": "未到场"})
    assert early.status_code == 409
