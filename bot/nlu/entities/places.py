"""Locations: 3号楼2单元501, 幸福路88号, 光明村3组, 小区东门, 地下车库."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.entities.base import Found
from bot.nlu.entities.words import word_list
from bot.text import is_cjk

_N = r"\d{1,4}"
# Building / unit / floor / room, any non-empty combination in this order.
_BUILDING = (
    rf"(?:{_N}(?:号楼|栋|幢|号院|座|区|排)|[a-z](?:座|栋|区))?(?:{_N}单元)?(?:{_N}(?:楼|层)(?!梯|道|下|上|顶))?"
    rf"(?:{_N}(?:室|号房|户)|(?<=单元){_N}|(?<=栋|幢){_N}(?!号)|(?<=号楼){_N}(?!号|楼|单元))?"
)
_BUILDING_RE = re.compile(_BUILDING)
_FLOOR_ONLY = re.compile(r"\d+(?:楼|层)")
_ROOM_AFTER_RE = re.compile(r"(?:楼上|楼下|隔壁|对门|房号|门牌号?|房间号?|住在?)(\d{3,4})(?![\d号楼栋单])")
_STREET_RE = re.compile(r"(?:路|街|大街|巷|弄|大道|胡同)\d{1,5}号(?:院|楼)?")
_SUFFIX = r"(?:小区|花园|家园|公寓|新村|苑|村)"
# A landmark and a side of it (学校门口, 大桥底下, 农贸市场旁边), and a village group said alone (五组).
_BESIDE_RE = re.compile(r"(?:门口|底下|旁边|附近|对面)")
_GROUP_RE = re.compile(r"(?<![\d第])\d{1,2}(?:组|队)(?!织|长|成|合|员|数|伍|列|人)")
_NAMED_PLACE_RE = re.compile(rf"{_SUFFIX}(?:\d{{1,2}}(?:组|队))?")
# What stops a place name growing leftwards: verbs and particles that precede an address.
_STOP = set("我你他她在住到去是的家了和跟从往把给找要想就也都说问这那个有门口请帮们本外俺咱农全各该邻隔村址")


def _grow_left(text: str, start: int, gaps: frozenset[int], limit: int = 4) -> int:
    """How far a place name reaches left of `start`: Chinese characters, not across punctuation."""
    k = start
    while (
        k > 0
        and start - k < limit
        and k not in gaps
        and is_cjk(text[k - 1])
        and text[k - 1] not in _STOP
    ):
        k -= 1
    return k


class PlaceFinder:
    """Proposes locations: building/unit/room patterns, streets, named estates and villages, and a
    gazetteer (built-in places plus those annotated in the training data)."""

    def __init__(self, extra_places: Iterable[str] = ()) -> None:
        places = set(word_list("places")) | {p for p in extra_places if len(p) >= 2}
        self._places_re = (
            re.compile("|".join(re.escape(p) for p in sorted(places, key=len, reverse=True))) if places else None
        )

    def find(self, text: str, gaps: frozenset[int] = frozenset()) -> list[Found]:
        """Location candidates in normalised text; they may overlap (the span filter chooses)."""
        out: list[Found] = []
        buildings = []
        for m in _BUILDING_RE.finditer(text):
            if m.end() > m.start() and not m.group(0).isdigit() and not _FLOOR_ONLY.fullmatch(m.group(0)):
                buildings.append((m.start(), m.end()))
        out += [Found("location", s, e, text[s:e]) for s, e in buildings]
        for m in _ROOM_AFTER_RE.finditer(text):
            out.append(Found("location", m.start(1), m.end(1), m.group(1)))
        for m in _STREET_RE.finditer(text):
            s = _grow_left(text, m.start(), gaps)
            if s < m.start():
                out.append(Found("location", s, m.end(), text[s : m.end()]))
        for m in _NAMED_PLACE_RE.finditer(text):
            s = _grow_left(text, m.start(), gaps)
            if m.start() - s >= 2:
                out.append(Found("location", s, m.end(), text[s : m.end()]))
                # An estate followed by its building: 幸福里小区6号楼302 is one location.
                for bs, be in buildings:
                    if bs == m.end() and bs not in gaps:
                        out.append(Found("location", s, be, text[s:be]))
        for m in _BESIDE_RE.finditer(text):
            s = _grow_left(text, m.start(), gaps, limit=6)
            if m.start() - s >= 2:
                out.append(Found("location", s, m.end(), text[s : m.end()]))
        out += [Found("location", m.start(), m.end(), m.group(0)) for m in _GROUP_RE.finditer(text)]
        if self._places_re:
            out += [Found("location", m.start(), m.end(), m.group(0)) for m in self._places_re.finditer(text)]
        return out
