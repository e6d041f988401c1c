"""The flows a new resident uses, end to end through the real HTTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx

from tests.conftest import db_rows
from tests.resident import Resident

BOOKING_NO = re.compile(r"YY\d{11}")
ORDER_NO = re.compile(r"GD\d{11}")


def test_documents_question_is_answered_with_the_documents(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("高龄津贴要带什么材料")
    assert "身份证" in r.text or "户口" in r.text
    assert "材料" in r.text
    # Other facets are offered as buttons rather than dumped in the answer.
    assert r.buttons


def test_booking_bathing_assistance_from_one_sentence(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("我想预约下周三上午的助浴服务")
    slots = [b for b in r.buttons if re.match(r"\d\d:\d\d", b["title"])]
    assert slots, r.text
    assert all(int(b["title"][:2]) < 12 for b in slots), "上午 shows morning slots"
    assert "名额" in slots[0]["title"]
    r.press_first()
    assert "几位" in r.text
    r.say("1个人")
    assert "地址" in r.text, "a home visit asks where to go"
    r.say("5号楼2单元301")
    assert "称呼" in r.text
    r.say("王秀兰")
    assert "电话" in r.text
    r.say("13812345678")
    assert "确认" in r.text and "138****5678" in r.text
    assert not db_rows(live_any.database_url, "SELECT id FROM bookings")  # type: ignore[attr-defined]
    r.press("确认")
    number = BOOKING_NO.search(r.text)
    assert number, r.text
    rows = db_rows(live_any.database_url, "SELECT number, service_id, people, phone FROM bookings")  # type: ignore[attr-defined]
    assert [(n, s, p) for n, s, p, _ in rows] == [(number.group(0), "bathing-assistance", 1)]
    assert db_rows(live_any.database_url, "SELECT address FROM bookings") == [("5号楼2单元301",)]  # type: ignore[attr-defined]


def test_request_filed_then_status_checked_by_number(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("楼道灯坏了三天了")
    assert "哪里" in r.text or "地点" in r.text or "在哪" in r.text
    r.say("5号楼2单元楼道")
    assert "电话" in r.text
    r.say("13912345678")
    r.press("确认")
    m = ORDER_NO.search(r.text)
    assert m, r.text
    rows = db_rows(live_any.database_url, "SELECT number, description, location, status FROM work_orders")  # type: ignore[attr-defined]
    assert rows == [(m.group(0), "楼道灯坏了三天了", "5号楼2单元楼道", "待受理")]
    r.say(f"{m.group(0)}办得怎么样了")
    assert m.group(0) in r.text and "待受理" in r.text


def test_status_found_from_the_part_of_a_number_a_resident_reads_out(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("小区东门路灯不亮了")
    r.say("小区东门")
    r.say("13912345678")
    r.press("确认")
    order = ORDER_NO.search(r.text)
    assert order, r.text
    booking = r.book("我想预约下周三上门助浴")
    # The tail of each number, as a resident reads it off a text message; the booking without its letters.
    r.say(f"工单号{order.group(0)[-7:]}到哪了")
    assert order.group(0) in r.text and "待受理" in r.text
    r.say(f"预约号是{booking[-7:]}，查一下")
    assert booking in r.text
    # The same part read by another resident finds nothing of theirs and says so.
    other = Resident(live_any)
    other.say(f"工单号{order.group(0)[-7:]}到哪了")
    assert order.group(0) not in other.text and "没有查到" in other.text


def test_rating_is_thanked_and_stored(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("上次助浴服务非常满意，给你们点个赞")
    assert "谢谢" in r.text
    rows = db_rows(live_any.database_url, "SELECT score, grade, label FROM ratings")  # type: ignore[attr-defined]
    assert rows == [(5, "好评", "非常满意")]


def test_poor_rating_opens_a_follow_up_for_staff(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say('/rate_service{"rating": 1}')
    assert "回电话" in r.text and "整改" in r.text
    rows = db_rows(live_any.database_url, "SELECT follow_up_status FROM ratings")  # type: ignore[attr-defined]
    assert rows == [("待回访",)]
    esc = db_rows(live_any.database_url, "SELECT reason, urgent FROM escalations")  # type: ignore[attr-defined]
    assert [(e[0], bool(e[1])) for e in esc] == [("bad_rating", True)]


def test_gas_leak_gets_safety_guidance_at_once(live_any: httpx.Client) -> None:
    r = Resident(live_any)
    r.say("家里厨房好大一股煤气味怎么办")
    first = r.last["replies"][0]["text"]
    assert "不要" in first and ("开关" in first or "电器" in first) and "通风" in first and "119" in first
    esc = db_rows(live_any.database_url, "SELECT reason, urgent FROM escalations")  # type: ignore[attr-defined]
    assert [(e[0], bool(e[1])) for e in esc] == [("emergency", True)]
