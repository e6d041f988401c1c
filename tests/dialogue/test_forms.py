"""Forms: one question at a time, validation with reasons, asides, cancellation, confirmation."""

from __future__ import annotations

import re

import httpx

from tests.conftest import db_rows
from tests.resident import Resident


def test_a_catalog_question_mid_booking_is_answered_then_the_form_resumes(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("我要预约助浴")
    assert "哪一天" in r.text
    r.say("助浴服务收费吗")
    assert "接着" in r.text and "哪一天" in r.text
    r.say("下周三")
    assert re.search(r"\d\d:\d\d", " ".join(b["title"] for b in r.buttons))


def test_leaving_a_form_with_suanle_writes_nothing(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    r = Resident(live)
    r.say("我要报修")
    r.say("厨房下水道堵了")
    r.say("算了")
    assert "取消" in r.text
    assert db_rows(settings.database_url, "SELECT id FROM work_orders") == []
    r.say("你好")
    assert "您好" in r.text


def test_several_slots_in_one_message_and_bad_answers_are_explained(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    r = Resident(live)
    r.say("预约助浴")
    r.say("下周三上午10点，两个人")
    # 助浴 is one person per booking: said plainly, then the form goes on (to the address of the home visit).
    assert "只能约1位" in r.text and "地址" in r.text, r.text
    r.say("幸福路8号3单元502")
    assert "称呼" in r.text, r.text
    r.say("李阿姨")
    r.say("12345")
    assert "号码" in r.text and "不对" in r.text
    r.say("13700001111")
    assert "确认" in r.text
    r.say("不对")
    assert db_rows(settings.database_url, "SELECT id FROM bookings") == []


def test_a_date_in_the_past_is_refused_with_the_reason(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("预约助浴")
    r.say("昨天")
    assert "过去" in r.text


def test_reschedule_and_cancel_an_existing_booking(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    r = Resident(live)
    number = r.book("我想预约下周三上午的助浴服务", name="赵大爷", phone="13600001111")
    r.say("我的助浴预约想改个时间")
    if "哪一个" in r.text:
        r.press(number)
    r.say("下周四")
    r.press_first()
    r.press("确认")
    assert "改好了" in r.text
    r.say(f"取消预约{number}")
    if "哪一个" in r.text:
        r.press(number)
    r.press("确认取消")
    assert "已为您取消" in r.text
    rows = db_rows(settings.database_url, "SELECT status FROM bookings")
    assert rows == [("已取消",)]
    booked = db_rows(settings.database_url, "SELECT sum(booked) FROM slots")
    assert booked == [(0,)]


def test_saying_a_booked_service_is_not_wanted_offers_to_cancel_it(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    """陪诊不要了 reads like a bare 不要了; with nothing asked, it calls the booking off (after asking)."""
    r = Resident(live)
    number = r.book("我想预约下周三上午的陪诊服务", name="钱大爷", phone="13600002222")
    r.say("那啥 陪诊不要了 我自己去")
    if "哪一个" in r.text:
        r.press(number)
    assert number in r.text and "取消" in r.text
    r.press("确认取消")
    assert "已为您取消" in r.text
    assert db_rows(settings.database_url, "SELECT status FROM bookings") == [("已取消",)]


def test_not_suiting_a_booked_time_offers_to_move_it(live: httpx.Client) -> None:
    r = Resident(live)
    number = r.book("我想预约下周三上午的陪诊服务", name="钱大爷", phone="13600002222")
    r.say("俺约的那个陪诊 时间不对付 给俺换个时候")
    if "哪一个" in r.text:
        r.press(number)
    assert "取消" not in r.text and ("哪一天" in r.text or "时间" in r.text), r.text


def test_a_no_naming_a_service_without_a_booking_is_just_a_no(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("那啥 陪诊不要了 我自己去")
    assert "预约" not in r.text, r.text


def test_a_bare_no_with_nothing_asked_changes_nothing(live: httpx.Client, settings) -> None:  # type: ignore[no-untyped-def]
    r = Resident(live)
    r.book("我想预约下周三上午的陪诊服务", name="钱大爷", phone="13600002222")
    r.say("不用了")
    assert "取消" not in r.text
    assert db_rows(settings.database_url, "SELECT status FROM bookings") == [("已预约",)]
