"""Reminders the day before and rating requests after a booking reach web residents too, once."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import sqlalchemy as sa

from bot.backend.db import sync_url
from bot.backend.reminders import queue_booking_messages
from bot.bootstrap import build_runtime
from bot.config import Settings
from tests.resident import Resident


def _shift_slots(database_url: str, delta: dt.timedelta) -> None:
    engine = sa.create_engine(sync_url(database_url))
    with engine.begin() as conn:
        for sid, start, end in conn.execute(sa.text("SELECT id, start_at, end_at FROM slots WHERE booked > 0")):
            conn.execute(sa.text("UPDATE slots SET start_at = :s, end_at = :e WHERE id = :i"),
                         {"s": _parse(start) + delta, "e": _parse(end) + delta, "i": sid})
    engine.dispose()


def _parse(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def test_web_resident_gets_a_rating_request_once_after_the_booking(
    live: httpx.Client, settings: Settings, nlu: Any, retriever: Any
) -> None:
    r = Resident(live)
    r.book("我想预约后天上午的助浴服务", name="钱阿姨", phone="13300001111")
    _shift_slots(settings.database_url, -dt.timedelta(days=3))

    async def twice() -> tuple[int, int]:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever)
        try:
            now = dt.datetime.now(dt.UTC)
            return await queue_booking_messages(runtime, now), await queue_booking_messages(runtime, now)
        finally:
            await runtime.close()

    assert asyncio.run(twice()) == (1, 0)
    msgs = live.get(f"/api/v1/conversations/{r.last['conversation_id']}/messages",
                    params={"token": r.last["conversation_token"]}).json()
    request = [m for m in msgs if "打个分" in m["text"]]
    assert len(request) == 1
    titles = [b["title"] for b in request[0]["buttons"]]
    assert titles == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    r.say(request[0]["buttons"][1]["payload"])
    assert "满意" in r.text
