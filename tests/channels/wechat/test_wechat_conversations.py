"""Whole conversations over both WeChat channels on the real NLU: a documents question, a booking, a work
order with a photo, and an elderly resident's voice message."""

from __future__ import annotations

import re

from tests.channels.wechat.conftest import Harness
from tests.conftest import db_rows

ORDER_NO = re.compile(r"GD\d{11}")
BOOKING_NO = re.compile(r"YY\d{11}")
SLOT = re.compile(r"(\d+)\. (\d\d:\d\d)")


# --- Official Account ------------------------------------------------------------------------------


async def test_mp_documents_question(wechat: Harness) -> None:
    f = wechat.follower()
    said = await f.say("高龄津贴要带什么材料")
    assert "材料" in said and ("身份证" in said or "户口" in said), said


async def test_mp_voice_with_recognition_is_handled_in_elderly_mode(wechat: Harness) -> None:
    f = wechat.follower()
    said = await f.speak("高龄津贴要带什么材料")
    assert "身份证" in said, said  # the short answer elderly mode gives
    assert db_rows(wechat.database_url, "SELECT elderly_mode FROM residents") == [(1,)]
    heard = db_rows(wechat.database_url, "SELECT text FROM messages WHERE direction = 'in'")
    assert heard == [("高龄津贴要带什么材料",)]


async def test_mp_booking_answered_with_numbers_and_words(wechat: Harness) -> None:
    f = wechat.follower()
    said = await f.say("我想预约下周三上午的助浴服务")
    slots = SLOT.findall(said)
    assert slots, said
    await f.say(slots[0][0])  # the number of the first time offered
    await f.say("1个人")
    await f.say("王秀兰")
    said = await f.say("13812345678")
    assert "确认" in said, said
    said = await f.say("确认")
    number = BOOKING_NO.search(said)
    assert number, said
    assert db_rows(wechat.database_url, "SELECT number, service_id FROM bookings") == [
        (number.group(0), "bathing-assistance")]


async def test_mp_work_order_with_a_photo(wechat: Harness) -> None:
    f = wechat.follower()
    await f.photo("mediaPhoto001")
    said = await f.say("楼道灯坏了三天了")
    assert "哪里" in said or "地点" in said or "在哪" in said, said
    said = await f.say("幸福里小区3号楼2单元")
    assert "电话" in said, said
    said = await f.say("13912345678")
    assert "确认" in said, said
    said = await f.say("确认")
    assert ORDER_NO.search(said), said
    [(attachments,)] = db_rows(wechat.database_url, "SELECT attachments FROM work_orders")
    assert "mediaPhoto001" in attachments


# --- WeCom customer service ------------------------------------------------------------------------


async def test_kf_documents_question(wechat: Harness) -> None:
    c = wechat.customer()
    await c.say("高龄津贴要带什么材料")
    assert "材料" in c.text and ("身份证" in c.text or "户口" in c.text), c.text


async def test_kf_booking_with_menu_taps(wechat: Harness) -> None:
    c = wechat.customer()
    await c.say("我想预约下周三上午的助浴服务")
    slots = [t for t in c.menu if re.match(r"\d\d:\d\d", t)]
    assert slots, c.last
    await c.press(slots[0])
    await c.say("1个人")
    await c.say("王秀兰")
    await c.say("13812345678")
    assert "确认" in c.text, c.text
    await c.press("确认")
    number = BOOKING_NO.search(c.text)
    assert number, c.text
    assert db_rows(wechat.database_url, "SELECT number FROM bookings") == [(number.group(0),)]


async def test_kf_work_order_with_a_photo(wechat: Harness) -> None:
    c = wechat.customer()
    await c.send("image", {"media_id": "kfPhoto001"})
    await c.say("楼道灯坏了三天了")
    assert "哪里" in c.text or "地点" in c.text or "在哪" in c.text, c.text
    await c.say("幸福里小区3号楼2单元")
    assert "电话" in c.text, c.text
    await c.say("13912345678")
    await c.press("确认")
    assert ORDER_NO.search(c.text), c.text
    [(attachments,)] = db_rows(wechat.database_url, "SELECT attachments FROM work_orders")
    assert "kfPhoto001" in attachments
