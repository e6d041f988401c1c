"""Ages, head counts and 好差评 ratings, each normalised to an integer."""

from __future__ import annotations

import re
from typing import Any

import cn2an

from bot.nlu.entities.base import Found
from bot.nlu.numbers import NUM, cn_to_int

_PERSON = (
    r"我|俺|咱|本人|老人|老伴|老头|老太|爹|娘|爸|妈|奶奶|爷爷|姥姥|姥爷|外婆|外公|父亲|母亲|婆婆|公公|"
    r"老汉|老公|老婆|儿子|闺女|女儿|孙子|孙女"
)
# 82岁, 八十多岁; and without 岁 where the words say it is an age: 俺娘八十八了, 我今年六十六.
_AGE_RE = re.compile(
    rf"(?P<n>{NUM})(?:周岁|岁)|(?P<n2>\d{{2,3}})(?:多|来)岁"
    rf"|(?<![\d号月点第])(?P<n3>\d{{2,3}})多?(?=了)|(?<=今年)(?P<n4>\d{{2,3}})"
    # A person and then a bare number is how an age is said aloud: 俺爹七十九, 我刚满七十, 俺六十三.
    rf"|(?:{_PERSON})(?:今年|刚满|已经|都|也)?(?P<n5>\d{{2,3}})(?![\d.%号楼栋单元室层块元个位人口次年月日点分天斤米平岁多来])"
)
_PEOPLE = r"(?:个人|口人|位|人|口|名|个大人|个家属|份|桌)"
_COUNT_RE = re.compile(rf"(?P<n>{NUM}|俩|仨)(?:来|多)?{_PEOPLE}")
# Longest first, so that 非常不满意 is not read as 满意.
_RATING_WORDS = {
    "非常不满意": 1,
    "很不满意": 1,
    "特别不满意": 1,
    "极不满意": 1,
    "十分不满意": 1,
    "太不满意": 1,
    "非常满意": 5,
    "很满意": 5,
    "特别满意": 5,
    "十分满意": 5,
    "超级满意": 5,
    "太满意": 5,
    "比较满意": 4,
    "还算满意": 4,
    "挺满意": 4,
    "基本满意": 3,
    "还行": 3,
    "一般般": 3,
    "一般": 3,
    "不太满意": 2,
    "不大满意": 2,
    "不怎么满意": 2,
    "不满意": 2,
    "满意": 4,
    "五星好评": 5,
    "好评": 5,
    "中评": 3,
    "差评": 1,
    "满分": 5,
}
_RATING_WORD_RE = re.compile("|".join(sorted(_RATING_WORDS, key=len, reverse=True)))
_STARS_RE = re.compile(rf"(?P<n>{NUM})(?:颗星|个星|星)(?!期)(?:好评)?")
# The annotated span of a score is the number and 分 (打5分 → 5分).
_SCORE_RE = re.compile(
    rf"(?:(?<=打)|(?<=给)|(?<=评)|(?<=得)|(?<=打了)|(?<=给了))(?P<n>{NUM})分(?!钟)|(?<![\d点])(?P<n2>[1-5])分(?!钟)"
)


def find_ages(text: str) -> list[Found]:
    """Ages in years: 82岁, 八十二岁, 八十多岁 (→ 80), 今年九十了."""
    out = []
    for m in _AGE_RE.finditer(text):
        n = cn_to_int(m["n"] or m["n2"] or m["n3"] or m["n4"] or m["n5"] or "")
        if n is not None and 0 < n < 130 and (m["n"] or m["n2"] or n >= 10):
            start = m.start("n5") if m["n5"] else m.start()
            out.append(Found("age", start, m.end(), n))
    return out


def find_counts(text: str) -> list[Found]:
    """Numbers of people or items: 两个人, 3位, 俩人."""
    out = []
    for m in _COUNT_RE.finditer(text):
        raw = m["n"]
        n = 2 if raw == "俩" else 3 if raw == "仨" else cn_to_int(raw)
        if n is not None and 0 < n < 1000:
            out.append(Found("count", m.start(), m.end(), n))
    return out


def find_ratings(text: str) -> list[Found]:
    """好差评 ratings on the 1–5 scale."""
    out = [Found("rating", m.start(), m.end(), _RATING_WORDS[m.group(0)]) for m in _RATING_WORD_RE.finditer(text)]
    for pattern in (_STARS_RE, _SCORE_RE):
        for m in pattern.finditer(text):
            n = cn_to_int(m.groupdict().get("n") or m.groupdict().get("n2") or "")
            if n is not None and 1 <= n <= 5:
                out.append(Found("rating", m.start(), m.end(), n))
    return out


# How a party size is said when it is asked (一共几位？): 就我一个, 我自己, 俩, 我和老伴两个, 三位, 老两口.
_PARTY_ALONE = re.compile(
    r"^(就|只有|只)?(我|俺|咱)?(自己|本人|自个儿?|一个人?|一位|一人|1个|1位|1人)(人|去|来)?(吧|呗|啊|哈)?$"
    r"|^(就|只有)?(我|俺)(自己)?(一个人)?$"
)
_PARTY_COUPLE = re.compile(r"老两口|两口子|我们俩|我俩|俺俩|咱俩|我和老伴|我跟老伴|俺和老伴|俺跟老伴|带上老伴")
_PARTY_NUMBER = re.compile(r"[0-9零〇一二两俩三仨四五六七八九十百]+")
_PARTY_COUNTED = re.compile(r"[0-9零〇一二两俩三仨四五六七八九十百]+(?=个人|口人|位|个|人|口)")


def party_size(value: Any) -> int | None:
    """A party size from an answer: a number, or words such as 就我一个, 俩人, 我和老伴两个, 三位.

    cn2an reads the Chinese numerals; the few ways of saying "just me" or "the two of us" are listed here.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = re.sub(r"[\s，。,.！!？?]", "", str(value or ""))
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if _PARTY_ALONE.match(text):
        return 1
    # A number with its measure word first (一家三口 is three, not one), else the first number said.
    if m := (_PARTY_COUNTED.search(text) or _PARTY_NUMBER.search(text)):
        raw = {"俩": "2", "仨": "3"}.get(m.group(0), m.group(0).replace("俩", "两").replace("仨", "三"))
        try:
            return int(cn2an.cn2an(raw, "smart"))
        except ValueError:
            pass
    return 2 if _PARTY_COUPLE.search(text) else None
