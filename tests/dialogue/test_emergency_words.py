"""The safety net under the classifier: danger words mean an emergency, look-alikes do not."""

from __future__ import annotations

import pytest

from bot.dialogue.policy import EMERGENCY_WORDS


@pytest.mark.parametrize("text", [
    "厨房着火了", "楼道里冒烟了", "家里有煤气味", "燃气泄漏了怎么办", "我爸晕倒了", "老人摔倒了起不来",
    "他要打死我", "有人被困在电梯里", "小孩掉水里了", "救命啊",
    "楼道里全是烟 看不见路", "屋里满屋子是烟", "对面楼冒出好大的浓烟",
])
def test_danger_now(text: str) -> None:
    assert EMERGENCY_WORDS.search(text)


@pytest.mark.parametrize("text", [
    "燃气灶打不着火了", "热水器点不着火", "煤气灶没着火也有响声", "电梯坏了好几天了", "楼道灯坏了",
    "想报名消防安全培训", "燃气费怎么交", "楼道里全是烟味有人抽烟", "楼下烧烤的油烟太大",
])
def test_look_alikes_are_not_emergencies(text: str) -> None:
    assert not EMERGENCY_WORDS.search(text)
