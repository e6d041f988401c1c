"""Voice front ends: every reply also carries speech a speech engine reads without stumbling."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import httpx

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.reminders import queue_booking_messages
from tests.conftest import FixedClock, db_rows, next_week
from tests.resident import Resident

# What a speech engine reads badly or aloud as symbols.
UNSPEAKABLE = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF*#•·|<>\[\]{}（）()【】]|https?://|\n|\d{7,}")


def _check_speech(replies: list[dict]) -> None:  # type: ignore[type-arg]
    assert replies
    for rep in replies:
        speech = rep.get("speech")
        assert speech, rep
        assert not UNSPEAKABLE.search(speech), speech
        assert speech.endswith(("。", "？")), speech  # nothing is cut mid-sentence
        if rep["buttons"] and rep is replies[-1]:
            # Nothing can be tapped on the phone: the choices are read out (numbered, or named already).
            assert "一、" in speech or all(b["title"][:2] in speech for b in rep["buttons"]), speech


def test_voice_replies_carry_speakable_text(live: httpx.Client) -> None:
    r = Resident(live, channel="voice")
    _check_speech(r.say("嗯那个高龄经贴要带什么材料"))
    assert "身份证" in r.last["replies"][0]["speech"], "the homophone slip is repaired and documents come first"
    _check_speech(r.say("我想预约下周三上午的助浴服务"))
    _check_speech(r.say("那个楼道灯坏了"))
    _check_speech(r.say("算了"))


def test_voice_channel_uses_elderly_mode_with_few_choices(live: httpx.Client) -> None:
    r = Resident(live, channel="voice")
    r.say("高龄津贴要带什么材料")
    assert len(r.buttons) <= 3
    web = Resident(live)
    web.say("高龄津贴要带什么材料")
    assert len(web.buttons) > len(r.buttons)


def test_web_replies_have_no_speech_field(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("你好")
    assert all("speech" not in rep for rep in r.last["replies"])


def test_messages_pushed_later_carry_speech_and_their_choices_can_be_picked_by_voice(
    live: httpx.Client, settings: Settings, nlu: Any, retriever: Any, clock: FixedClock
) -> None:
    r = Resident(live, channel="voice")
    number = r.book("我想预约下周三上午的助浴服务", name="钱阿姨", phone="13300001111")
    clock.advance(dt.timedelta(days=(next_week(clock.today, 2) - clock.today).days + 1))  # the day after it

    async def queue() -> int:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            return await queue_booking_messages(runtime.services, clock())
        finally:
            await runtime.close()

    assert asyncio.run(queue()) == 1
    msgs = live.get(f"/api/v1/conversations/{r.last['conversation_id']}/messages",
                    params={"token": r.last["conversation_token"]}).json()
    request = next(m for m in msgs if "打个分" in m["text"])
    assert "非常满意" in request["speech"] and not UNSPEAKABLE.search(request["speech"]), request["speech"]
    assert all("speech" in m for m in msgs if m["sender"] != "resident")
    r.say("嗯 第一个吧")  # the first choice of the pushed request: 非常满意, for that booking
    rows = db_rows(settings.database_url, "SELECT score, subject_type FROM ratings")
    assert [tuple(row) for row in rows] == [(5, "booking")], (rows, number, r.text)
