"""Reminders the day before and rating requests after a booking reach web residents too, once."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.reminders import queue_booking_messages
from tests.conftest import FixedClock, next_week
from tests.resident import Resident


def test_web_resident_gets_a_rating_request_once_after_the_booking(
    live: httpx.Client, settings: Settings, nlu: Any, retriever: Any, clock: FixedClock
) -> None:
    r = Resident(live)
    r.book("我想预约下周三上午的助浴服务", name="钱阿姨", phone="13300001111")
    clock.advance(dt.timedelta(days=(next_week(clock.today, 2) - clock.today).days + 1))  # the day after it

    async def twice() -> tuple[int, int]:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            first = await queue_booking_messages(runtime.services, clock())
            return first, await queue_booking_messages(runtime.services, clock())
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
