"""Voice front ends: every reply also carries speech a speech engine reads without stumbling."""

from __future__ import annotations

import re

import httpx

from tests.resident import Resident

# What a speech engine reads badly or aloud as symbols.
UNSPEAKABLE = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF*#•·|<>\[\]{}（）()【】]|https?://|\n|\d{7,}")


def _check_speech(replies: list[dict]) -> None:  # type: ignore[type-arg]
    assert replies
    for rep in replies:
        speech = rep.get("speech")
        assert speech, rep
        assert not UNSPEAKABLE.search(speech), speech
        sentences = [s for s in re.split(r"[。！？!?]", speech) if s.strip()]
        assert len(sentences) <= 3, speech


def test_voice_replies_carry_speakable_text(live: httpx.Client) -> None:
    r = Resident(live, channel="voice")
    _check_speech(r.say("嗯那个高龄经贴要带什么材料"))
    assert "身份证" in r.last["replies"][0]["speech"], "the homophone slip is repaired and documents come first"
    _check_speech(r.say("我想预约明天上午的助浴服务"))
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
