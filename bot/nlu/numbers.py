"""Chinese spoken numbers: 八十二 → 82, 幺三八 → 138, 两个 → 2个.

Voice input writes numbers as words. Converting them only where they really are numbers (before 岁、号、
点、个、楼…, or as digit strings of three or more) keeps 一下、万一、十分满意、残疾人两项补贴 intact.
"""

from __future__ import annotations

import re

from bot.nlu.mapped_text import MappedText

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUM_CHARS = "零〇一幺二两俩三仨四五六七八九十百千万"
# A number written any way: Arabic digits, Chinese digits, or a positional Chinese numeral.
NUM = rf"[0-9{NUM_CHARS}]+"

_RUN = re.compile(rf"[0-9{NUM_CHARS}]+")
# What follows a number that really is one (measure words and units).
_UNITS = (
    "岁",
    "号",
    "日",
    "月",
    "点",
    "个",
    "位",
    "人",
    "口",
    "楼",
    "栋",
    "幢",
    "单元",
    "室",
    "层",
    "元",
    "块",
    "天",
    "年",
    "次",
    "周",
    "小时",
    "分",
    "名",
    "间",
    "户",
    "件",
    "张",
    "份",
    "星",
    "多",
    "来",
    "几",
    "期",
    "排",
    "组",
    "床",
    "斤",
    "米",
    "岁",
)
# 有一点、快一点: "a little", not one o'clock.
_A_LITTLE_BEFORE = set("有快慢早晚好大小多少差轻近远高低贵这那")
# 打十分 is a score; 十分满意 means "very".
_SCORE_BEFORE = set("打给评得")


def cn_to_int(s: str) -> int | None:
    """The value of a number written in Arabic digits, Chinese digits or a positional numeral."""
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return int(s)
    if all(c in CN_DIGITS or ("0" <= c <= "9") for c in s):
        return int("".join(str(CN_DIGITS[c]) if c in CN_DIGITS else c for c in s))
    total, section, num = 0, 0, 0
    last_unit = 0
    for i, c in enumerate(s):
        if c in CN_DIGITS:
            num = CN_DIGITS[c]
        elif "0" <= c <= "9":
            num = num * 10 + int(c)
        elif c == "万":
            total += (section + num) * 10000
            section, num, last_unit = 0, 0, 10000
        elif c in CN_UNITS:
            unit = CN_UNITS[c]
            section += (num or 1) * unit
            num, last_unit = 0, unit
        else:
            return None
        # 一百五 means 150 and 两千三 means 2300: a trailing digit right after a unit is one place lower.
        if i == len(s) - 1 and c in CN_DIGITS and i > 0 and s[i - 1] in "百千万" and last_unit >= 100:
            num *= last_unit // 10
    return total + section + num


def _is_unit_after(text: str, end: int) -> bool:
    return any(text.startswith(u, end) for u in _UNITS)


def _convert_run(text: str, m: re.Match[str]) -> str | None:
    """The digits for one run of numerals, or None where it is not a number in context."""
    run = m.group(0)
    if run.isascii():
        return None
    before = text[m.start() - 1] if m.start() > 0 else ""
    after = text[m.end()] if m.end() < len(text) else ""
    positional = any(c in CN_UNITS for c in run)
    if not positional:
        if len(run) >= 3:
            return "".join(str(CN_DIGITS[c]) if c in CN_DIGITS else c for c in run)
        if len(run) == 2 and not run.isdigit():  # 两三个、五六天: a range, not 23 or 56
            return None
        if not _is_unit_after(text, m.end()):
            return None
        if after == "点" and (before in _A_LITTLE_BEFORE or text[m.end() + 1 : m.end() + 2] in ("点", "儿")):
            return None
        value = cn_to_int(run)
        return None if value is None else str(value)
    if run[0] in "百千万":  # 万一、千万不要、百分之
        return None
    if run == "十" and after == "分" and before not in _SCORE_BEFORE:
        return None
    value = cn_to_int(run)
    return None if value is None else str(value)


def convert_numbers(mt: MappedText) -> MappedText:
    """Turn spoken numbers into digits where the context says they are numbers."""
    if not any(c in NUM_CHARS for c in mt.text):
        return mt
    return mt.sub(_RUN, lambda m: _convert_run(mt.text, m))
