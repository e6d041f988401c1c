"""What the resident said earlier in the conversation is remembered across turns."""

from __future__ import annotations

import httpx

from tests.resident import Resident


def test_a_short_follow_up_question_is_about_the_service_just_discussed(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("在吗")
    r.say("我想问问那个低保怎么申请啊")
    assert "最低生活保障" in r.text
    r.say("要带啥")
    assert "最低生活保障" in r.text and "身份证" in r.text


def test_facts_given_earlier_are_not_asked_again(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("你好")
    r.say("我妈今年八十二能领高龄津贴吗")
    assert "多大" not in r.text and "年纪" not in r.text
    r.say("本地户口")
    assert "符合" in r.text and "以窗口审核为准" in r.text
