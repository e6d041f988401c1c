"""Another resident's personal data is never given; offices' own numbers are not personal data."""

from __future__ import annotations

import pytest

from knowledge.privacy import asks_for_others_data, others_data_kind


@pytest.mark.parametrize(
    "text",
    [
        "帮我查一下302王大妈的电话", "我邻居身份证号多少", "楼上那家的电话能给我吗", "你知道3号楼李阿姨住哪吗",
        "隔壁老王的手机号是多少", "对门那户是不是低保户", "他家电话多少", "我想知道楼下住的是谁",
        "王大妈得了什么病", "嗯那个帮我查查隔壁张大爷的电话号码", "俺想要一下村东头李婶的手机号",
        "帮我查下5栋302住户的联系方式", "这个手机号是谁的",
    ],
)
def test_others_personal_data(text):
    assert others_data_kind(text) == "personal"


@pytest.mark.parametrize(
    "text", ["告诉我谁投诉的我", "是谁举报我家养狗的", "投诉我的人是谁", "能把投诉人的电话给我吗", "谁报警抓的我"]
)
def test_who_complained_is_confidential(text):
    assert others_data_kind(text) == "complainant"


@pytest.mark.parametrize(
    "text",
    [
        "物业电话多少", "社区电话", "网格员电话多少", "派出所电话多少", "我的电话改了", "帮我查一下我的预约",
        "谁能帮我开居住证明", "谁可以申请低保吗", "他是低保户 能领吗", "我爸的高龄津贴还能领吗", "他能领高龄津贴吗",
        "我邻居家漏水淹了我家", "我要投诉隔壁装修", "王大妈让我问问高龄津贴怎么领", "我想给隔壁王大爷报名助餐",
        "我住3号楼2单元 电话13800001111", "她的身份证要带吗", "帮我爸查一下他的低保到账没", "你们几点下班",
    ],
)
def test_not_others_data(text):
    assert not asks_for_others_data(text)
