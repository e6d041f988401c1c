"""The outbox sender: staff replies, reminders and rating requests reach the right chat, exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.backend.models import Booking, Conversation, Slot
from bot.backend.outbox import notify
from bot.backend.residents import find_identity, latest_conversation
from tests.channels.conftest import Harness, TelegramResident
from tests.conftest import TZ, FixedClock, db_rows


async def _conversation(h: Harness, r: TelegramResident) -> Any:
    async with h.service.runtime.sessionmaker() as session:
        identity = await find_identity(session, "telegram", str(r.user_id))
        assert identity is not None
        return await latest_conversation(session, identity)


async def _staff_reply(h: Harness, conversation_id: int, text: str) -> None:
    async with h.service.runtime.sessionmaker() as session, session.begin():
        conv = await session.get(Conversation, conversation_id)
        assert conv is not None
        await notify(session, conv, text, kind="staff_reply", sender="staff")


async def _booking(h: Harness, conv: Any, start: dt.datetime, number: str, booked_at: dt.datetime) -> None:
    async with h.service.runtime.sessionmaker() as session, session.begin():
        slot = Slot(
            community_id=conv.community_id,
            service_id="bathing-assistance",
            day=start.date(),
            start_at=start,
            end_at=start + dt.timedelta(hours=1),
            capacity=4,
            booked=1,
        )
        session.add(slot)
        await session.flush()
        session.add(
            Booking(
                number=number,
                community_id=conv.community_id,
                resident_id=conv.resident_id,
                conversation_id=conv.id,
                service_id="bathing-assistance",
                slot_id=slot.id,
                people=1,
                name="王秀兰",
                phone="13812345678",
                created_at=booked_at,
            )
        )


async def test_staff_reply_is_pushed_to_the_residents_chat(plumbing: Harness) -> None:
    r, other = plumbing.resident(), plumbing.resident()
    await r.say("/human")
    await other.say("/start")
    conv = await _conversation(plumbing, r)
    before, before_other = r.received, other.received
    await _staff_reply(plumbing, conv.id, "您好，我是社区小张，马上安排。")
    assert await plumbing.service.sender.tick() == 1
    assert [c.params["text"] for c in r.pushed(before)] == ["您好，我是社区小张，马上安排。"]
    assert other.received == before_other
    assert db_rows(
        plumbing.service.runtime.settings.database_url, "SELECT kind, status, attempts FROM outbox"
    ) == [("staff_reply", "sent", 0)]
    assert await plumbing.service.sender.tick() == 0


async def test_failed_push_is_retried_later_and_blocked_resident_is_given_up(plumbing: Harness) -> None:
    url = plumbing.service.runtime.settings.database_url
    r = plumbing.resident()
    await r.say("/start")
    conv = await _conversation(plumbing, r)
    plumbing.fake.fail(r.chat_id, 400)
    await _staff_reply(plumbing, conv.id, "第一条")
    assert await plumbing.service.sender.tick() == 0
    assert db_rows(url, "SELECT status, attempts FROM outbox") == [("pending", 1)]

    plumbing.fake.fail(r.chat_id, 403)
    await _staff_reply(plumbing, conv.id, "第二条")
    await plumbing.service.sender.tick()
    assert db_rows(url, "SELECT text, status FROM outbox ORDER BY id") == [
        ("第一条", "pending"),
        ("第二条", "failed"),
    ]
    assert db_rows(url, "SELECT active FROM channel_identities") == [(0,)]


async def test_booking_reminder_the_day_before_and_rating_request_after(plumbing: Harness, clock: FixedClock) -> None:
    url = plumbing.service.runtime.settings.database_url
    r = plumbing.resident()
    await r.say("/start")
    conv = await _conversation(plumbing, r)
    tomorrow_10 = dt.datetime.combine(clock.today + dt.timedelta(days=1), dt.time(10), TZ).astimezone(dt.UTC)
    await _booking(plumbing, conv, tomorrow_10, "YY20260101001", booked_at=clock())
    two_days_ago = clock() - dt.timedelta(days=2)
    await _booking(plumbing, conv, clock() - dt.timedelta(hours=3), "YY20260101002", booked_at=two_days_ago)

    before = r.received
    assert await plumbing.service.sender.tick() == 1, "only the rating request: the reminder is due at 18:00"
    evening = dt.datetime.combine(clock.today, dt.time(18, 5), TZ).astimezone(dt.UTC)
    clock.advance(evening - clock())
    # Booked at 19:00 for tomorrow, after its reminder was due: no reminder seconds after booking.
    await _booking(plumbing, conv, tomorrow_10 + dt.timedelta(hours=4), "YY20260101003",
                   booked_at=evening + dt.timedelta(minutes=55))
    clock.advance(dt.timedelta(hours=1))
    assert await plumbing.service.sender.tick() == 1
    texts = [c.params["text"] for c in r.pushed(before)]
    assert any("明天10:00" in t and "YY20260101001" in t for t in texts), texts
    assert any("打个分" in t and "YY20260101002" in t for t in texts), texts
    assert "非常满意" in r.buttons
    assert db_rows(url, "SELECT number, reminder_sent, rating_requested FROM bookings ORDER BY number") == [
        ("YY20260101001", 1, 0),
        ("YY20260101002", 0, 1),
        ("YY20260101003", 0, 0),
    ]
    # A restart (a new sender) queues nothing twice.
    from bot.channels.sender import OutboxSender

    assert await OutboxSender(plumbing.service.runtime, plumbing.service.push).tick() == 0
    await r.press("非常满意")
    assert db_rows(url, "SELECT subject_type, score FROM ratings") == [("booking", 5)]


async def test_a_reminder_sent_late_on_the_day_itself_says_today(plumbing: Harness, clock: FixedClock) -> None:
    """Nothing ran the evening before (the server was down): the reminder goes out in the morning, and
    says 今天, not 明天."""
    r = plumbing.resident()
    await r.say("/start")
    conv = await _conversation(plumbing, r)
    morning = dt.datetime.combine(clock.today + dt.timedelta(days=1), dt.time(8), TZ).astimezone(dt.UTC)
    await _booking(plumbing, conv, morning + dt.timedelta(hours=2), "YY20260101004",
                   booked_at=clock() - dt.timedelta(days=2))
    clock.advance(morning - clock())
    before = r.received
    assert await plumbing.service.sender.tick() == 1
    texts = [c.params["text"] for c in r.pushed(before)]
    assert len(texts) == 1 and "今天10:00" in texts[0] and "YY20260101004" in texts[0], texts
    assert "明天" not in texts[0]


async def test_a_reply_the_bot_api_could_not_take_is_queued_and_sent_once_later(plumbing: Harness) -> None:
    url = plumbing.service.runtime.settings.database_url
    r = plumbing.resident()
    await r.say("/start")
    before = len(plumbing.fake.delivered(r.chat_id))
    plumbing.fake.fail(r.chat_id, 502, times=4)  # the Bot API is down for every retry of the first reply
    await r.say("你好")
    assert len(plumbing.fake.delivered(r.chat_id)) == before, "nothing reached the chat while the Bot API was down"
    queued = db_rows(url, "SELECT kind, status, text FROM outbox")
    assert queued and all(row[:2] == ("reply", "pending") for row in queued), "queued, not dropped"
    assert await plumbing.service.sender.tick() == len(queued)
    assert plumbing.fake.delivered(r.chat_id)[before:] == [row[2] for row in queued], "delivered once it is back"
    assert await plumbing.service.sender.tick() == 0, "and only once"
    assert db_rows(url, "SELECT DISTINCT status FROM outbox") == [("sent",)]
