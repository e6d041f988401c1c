"""The wording of what the system tells residents by itself comes from one texts file, filled in one place."""

from __future__ import annotations

import re

from bot.backend.wording import _texts, joined, say
from bot.config import PROJECT_ROOT


def test_a_status_change_reads_with_and_without_a_note() -> None:
    with_note = say("work_order_status", number="GD20261207001", status="处理中",
                    note=joined("note_joiner", "电工明天上午上门"))
    assert with_note == "您的工单GD20261207001状态更新为“处理中”：电工明天上午上门。"
    assert say("work_order_status", number="GD20261207001", status="已受理",
               note=joined("note_joiner", "")) == "您的工单GD20261207001状态更新为“已受理”。"


def test_every_text_the_code_asks_for_exists_and_none_is_left_unused() -> None:
    used: set[str] = set()
    for path in (PROJECT_ROOT / "bot").rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bsay\(\s*"(\w+)"', code))
        used |= set(re.findall(r'\bjoined\(\s*"(\w+)"', code))
        used |= set(re.findall(r'"(work_order_(?:re)?assigned)"', code))
    assert used == set(_texts()), (used ^ set(_texts()))
