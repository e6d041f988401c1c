"""Whose age a message states: a son says his own age and then his father's, and asks about the father.

"我今年45 我爸82 他能领高龄津贴吗" holds two ages; the verdict must be about the person asked for. Each
age is tied to the nearest person word before it (我/俺 for the speaker; 我爸, 俺爹, 老伴, 他… for
someone else); the person the question is about is the one named with 能/可以/给…办; when the message
does not say, the relative wins, since a resident who names a relative's age is asking for that relative.
When the question is about someone whose age was not said, no age is given at all: asking again is
better than judging the wrong person.

Text reaching here has its Chinese numerals already turned into digits (八十二 → 82).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Person = Literal["self", "other"]

_KIN = (
    r"爸爸|爸|妈妈|妈|老爹|老娘|爹|娘|父亲|母亲|老父亲|老母亲|爷爷|奶奶|姥姥|姥爷|外公|外婆|公公|婆婆|岳父|岳母|"
    r"丈人|丈母娘|老伴儿|老伴|老公|老婆|爱人|媳妇|老头子|老头|老太太|老太|老爷子|老人家|老人|老母|老父|"
    r"舅舅|姑姑|叔叔|大伯|伯伯|哥哥|哥|姐姐|姐|弟弟|弟|妹妹|妹|亲戚|邻居|对象"
)
# "我爸" must be read as the father, not as 我 followed by something: the relative is tried first.
_PERSON = re.compile(rf"(?P<other>(?:我|俺|咱)?(?:们)?(?:家)?(?:{_KIN})|他|她|对方)|(?P<self>我|俺|本人|自己|咱)")
_UNIT_AFTER = r"(?!\s*(?:\d|[年月日号个天次块元楼室单栋层幢户米斤%点分:：.平公万千百级路期栋间套人]))"
# An age said with 岁, or with 今年/已经/都 before it, or 了/多/出头 after it, or straight after a person.
_AGE = re.compile(
    r"(?P<near>快|将近|接近|马上就?|眼看就?|差不多|不到)?\s*(?P<n>\d{2,3})\s*(?:多|来)?\s*(?:周岁|岁)(?!\s*(?:半|零))"
    r"|(?:今年|年龄|年纪|岁数|已经|都|有)\s*(?:是|有)?\s*(?P<near2>快|将近|接近|马上就?|差不多|不到)?\s*(?P<n2>\d{2,3})"
    + _UNIT_AFTER
    + r"|(?P<near3>快|将近|接近|马上就?|眼看就?|差不多|不到)?\s*(?P<n3>\d{2,3})\s*(?:多|来)?\s*(?:了|出头|挂零|好几)"
    r"|(?<=[我俺他她爸妈爹娘伴公婆爷奶姥人子头太])\s*(?P<n4>\d{2,3})" + _UNIT_AFTER
)
# Who the question is about: 他能领吗, 我可以办吗, 给我爸办, 帮俺娘申请.
_ASKER = re.compile(
    rf"(?:给|帮|替|为)\s*(?P<for>(?:我|俺|咱)?(?:家)?(?:{_KIN})|他|她)"
    rf"|(?P<who>(?:我|俺|咱)?(?:家)?(?:{_KIN})|他|她|我|俺|本人|自己)\s*(?:这个?岁数|这年纪)?\s*"
    r"(?:能|可以|可不可以|能不能|够|符合|符不符合|有没有|算不算|是不是|该|可|有资格)"
)
_BORN_FULL = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:出生|生的|生人|生|的人)")
_BORN_SHORT = re.compile(
    r"(?:是|属于|我|他|她|老人|[爸妈爹娘])\s*(\d{2})\s*年\s*"
    r"(?:出生|生人|生的|生(?!\s*[\d月])|的(?=\s*(?:$|[，。,.!！?？\s]|人|吧|啊|呢|哦|能|可以|现在|今年|属|老人)))"
)


@dataclass(frozen=True)
class AgeMention:
    """One age in a message, with the person it belongs to (None when no person word precedes it)."""

    start: int
    age: int
    person: Person | None


def _kind(m: re.Match[str]) -> Person:
    return "other" if m.group("other") or m.groupdict().get("for") else "self"


def _person_before(text: str, start: int, end: int) -> Person | None:
    """The last person word in text[start:end]."""
    found = list(_PERSON.finditer(text, start, end))
    return _kind(found[-1]) if found else None


def mentions(text: str, today: dt.date) -> list[AgeMention]:
    """Every adult age stated in the text, in order, each with its person."""
    out: list[AgeMention] = []
    last_end = 0
    spans: list[tuple[int, int, int]] = []
    for m in _AGE.finditer(text):
        number = next(g for g in (m.group("n"), m.group("n2"), m.group("n3"), m.group("n4")) if g)
        near = m.group("near") or m.group("near2") or m.group("near3")
        age = int(number) - (1 if near else 0)
        spans.append((m.start(), m.end(), age))
    for m2 in _BORN_FULL.finditer(text):
        spans.append((m2.start(), m2.end(), today.year - int(m2.group(1))))
    for m3 in _BORN_SHORT.finditer(text):
        yy = int(m3.group(1))
        year = (2000 if yy <= today.year % 100 else 1900) + yy
        spans.append((m3.start(1), m3.end(), today.year - year))
    for start, end, age in sorted(spans):
        if start < last_end or not 0 < age <= 120:
            continue
        out.append(AgeMention(start, age, _person_before(text, last_end, start)))
        last_end = end
    return out


def asked_about(text: str) -> Person | None:
    """Whom the question is about, when the words say so (他能领吗 → other, 我能办吗 → self)."""
    found = list(_ASKER.finditer(text))
    if not found:
        return None
    m = found[-1]
    if m.group("for"):
        return "other"
    person = _PERSON.fullmatch(m.group("who"))
    return "other" if person is not None and person.group("other") else "self"


def age_of_subject(text: str, today: dt.date) -> int | None:
    """The age of the person the message asks about, or None when it was not said."""
    found = mentions(text, today)
    if not found:
        return None
    target = asked_about(text)
    if target is not None:
        same = [m for m in found if m.person == target]
        if same:
            return same[-1].age
        unnamed = [m for m in found if m.person is None]
        return unnamed[-1].age if unnamed else None
    others = [m for m in found if m.person == "other"]
    return (others or found)[-1].age


__all__ = ["AgeMention", "age_of_subject", "asked_about", "mentions"]
