"""Whole conversations over Telegram on the real NLU: questions, a booking, a request with a photo and a
location, a rating, and a handoff answered by staff through the outbox."""

from __future__ import annotations

import re

from bot.backend.models import Conversation
from bot.backend.outbox import notify
from tests.channels.conftest import Harness
from tests.conftest import db_rows

ORDER_NO = re.compile(r"GD\d{11}")
BOOKING_NO = re.compile(r"YY\d{11}")


def _url(h: Harness) -> str:
    return h.service.runtime.settings.database_url


async def test_documents_question(telegram: Harness) -> None:
    r = telegram.resident()
    await r.say("高龄津贴要带什么材料")
    assert "材料" in r.text and ("身份证" in r.text or "户口" in r.text)


async def test_booking_with_button_presses(telegram: Harness) -> None:
    r = telegram.resident()
    await r.say("我想预约下周三上午的助浴服务")
    slots = [t for t in r.buttons if re.match(r"\d\d:\d\d", t)]
    assert slots, r.text
    await r.press(slots[0])
    await r.say("1个人")
    await r.say("王秀兰")
    await r.say("13812345678")
    assert "确认" in r.text
    await r.press("确认")
    number = BOOKING_NO.search(r.text)
    assert number, r.text
    assert db_rows(_url(telegram), "SELECT number, service_id FROM bookings") == [
        (number.group(0), "bathing-assistance")
    ]


async def _file_request_with_photo_and_location(h: Harness) -> tuple[str, str]:
    r = h.resident()
    photo = [
        {"file_id": "small-1", "file_unique_id": "s1", "width": 90, "height": 90},
        {"file_id": "photo-big-1", "file_unique_id": "b1", "width": 1280, "height": 960},
    ]
    await r.send(photo=photo, caption="楼道灯坏了三天了")
    assert "哪里" in r.text or "地点" in r.text or "在哪" in r.text, r.text
    await r.send(location={"latitude": 39.904211, "longitude": 116.407395})
    assert "电话" in r.text, r.text
    await r.say("13912345678")
    await r.press("确认")
    assert ORDER_NO.search(r.text), r.text
    [(location, attachments)] = db_rows(_url(h), "SELECT location, attachments FROM work_orders")
    return location, attachments


async def test_request_with_a_location(telegram: Harness) -> None:
    location, _ = await _file_request_with_photo_and_location(telegram)
    assert "39.904211,116.407395" in location


async def test_request_photo_is_attached_to_the_work_order(telegram: Harness) -> None:
    _, attachments = await _file_request_with_photo_and_location(telegram)
    assert "photo-big-1" in attachments


async def test_rating_is_thanked_and_stored(telegram: Harness) -> None:
    r = telegram.resident()
    await r.say("上次助浴服务非常满意，给你们点个赞")
    assert "谢谢" in r.text
    assert db_rows(_url(telegram), "SELECT score, grade FROM ratings") == [(5, "好评")]


async def test_handoff_and_staff_reply_through_the_outbox(telegram: Harness) -> None:
    r = telegram.resident()
    await r.say("我要转人工")
    assert "工作人员" in r.text
    [(conv_id,)] = db_rows(_url(telegram), "SELECT conversation_id FROM escalations")
    await r.say("我家门口的垃圾三天没人收了")
    assert r.last == [] or "工作人员" in r.text
    async with telegram.service.runtime.sessionmaker() as session, session.begin():
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        await notify(
            session, conv, "您好，我是社区小张，马上安排保洁处理。", kind="staff_reply", sender="staff"
        )
    before = r.received
    await telegram.service.sender.tick()
    [pushed] = r.pushed(before)
    assert pushed.chat_id == r.chat_id and "小张" in pushed.params["text"]


async def test_photos_go_with_the_request_they_were_sent_for_and_no_further(telegram: Harness) -> None:
    await _file_request_with_photo_and_location(telegram)
    r = telegram.resident()
    await r.say("小区东门的路灯不亮了")
    await r.say("小区东门")
    await r.say("13912345678")
    await r.press("确认")
    assert ORDER_NO.search(r.text), r.text
    rows = db_rows(_url(telegram), "SELECT attachments FROM work_orders ORDER BY id")
    assert len(rows) == 2 and "photo-big-1" in str(rows[0][0]) and "photo-big-1" not in str(rows[1][0])
