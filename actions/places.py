"""A place as staff need it: the resident's words without the fillers of speech, and never cut short.

The spoken fillers (嗯、呃、那个我…) are the NLU normaliser's (`bot.nlu.normalize.strip_fillers`); what
is added here is only what a place answer says around the place: 在/就在 before it, 那个/这个 pointing
inside it (东门那个垃圾站), 吧/啊 after it. A location entity found inside a longer message (东门 in
东门垃圾站满了) is widened over the place words that follow it, so the stored place is 东门垃圾站.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.nlu.normalize import strip_fillers
from bot.text import CJK

_LEAD = re.compile(r"^(?:就在|是在|就是|在|那个|这个|呢)+")
_POINTING = re.compile(r"(?<=.)(?:那个|这个|就是)(?=.)")
_TRAIL = re.compile(r"(?:那个|这个|那块儿?|这块儿?|那儿|这儿|那里|这里|那边|这边)?(?:吧|啊|呀|呢|哈|嘛|啦|哦|呗)*$")
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])")
_PUNCT_EDGES = "。.！!，,、？? \t"
# Characters a place word ends with (垃圾站, 楼道, 门前, 路口, 老王家): a word after a location entity that
# ends so is part of the place; one that does not (灯, 井盖, 坏了) is the matter itself.
_PLACE_END = set("站口门道场楼房院室区路街巷桥园池边前后旁下上里外头侧角处厅馆店所坪棚库家村组屯队坝塘沟湾")
_LOCATIVES = ("旁边", "门口", "对面", "附近", "后面", "前面", "里面", "外面", "边上", "底下", "楼下", "楼上")
# A word starting so is no longer the place: 的路灯, 了, 有人, 被堵.
_NOT_PLACE_START = set("的了着过有没被把很太都也又还就是在要好不")
_INNER_POINTER = re.compile(r"^\s*(?:那个|这个)")
_CJK_WORD = re.compile(f"[{CJK}]{{2,5}}")
MAX_PLACE = 200


def clean_place(text: str) -> str:
    """A place answer without fillers and the words around it; empty when nothing but those was said
    (嗯, 就这儿), which is no place staff can find."""
    spoken = _SPACE_BETWEEN_CJK.sub("", strip_fillers(text, keep_alone=False).strip(_PUNCT_EDGES))
    place = _TRAIL.sub("", _POINTING.sub("", _LEAD.sub("", spoken))).strip(_PUNCT_EDGES)
    return place[:MAX_PLACE]


def widen_entity(text: str, value: str, entities: Iterable[Mapping[str, Any]]) -> str:
    """The location entity `value` of `text`, widened over the place words right after it."""
    for e in entities:
        if e.get("entity") != "location" or str(e.get("value")) != value:
            continue
        start, end = e.get("start"), e.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            continue
        return text[start:end] + _place_tail(text[end:])
    return value


def _place_tail(rest: str) -> str:
    """The place words at the start of `rest`: 垃圾站旁边 of 垃圾站旁边堆满了垃圾."""
    tail = ""
    while rest and rest[0] not in _NOT_PLACE_START:
        rest = _INNER_POINTER.sub("", rest, count=1)  # 东门那个垃圾站: the pointer is dropped, the place kept
        word = next((rest[:n] for n in range(min(5, len(rest)), 1, -1) if _is_place_word(rest[:n])), "")
        if not word:
            break
        tail += word
        rest = rest[len(word):]
    return tail


def _is_place_word(word: str) -> bool:
    if not _CJK_WORD.fullmatch(word) or any(c in _NOT_PLACE_START for c in word[1:]):
        return False
    return word.endswith(_LOCATIVES) or word[-1] in _PLACE_END
