"""Locations (3号楼2单元501, 幸福路88号, 小区东门, 地下车库) and person names (张阿姨, 我叫王秀兰)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml

from bot.nlu.entities.base import Found

_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "entity_words.yml"
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
_NAMED_PLACE_RE = re.compile(rf"{_SUFFIX}(?:\d{{1,2}}(?:组|队))?")
# What stops a place name growing leftwards: verbs and particles that precede an address.
_STOP = set("我你他她在住到去是的家了和跟从往把给找要想就也都说问这那个有门口请帮们本外俺咱农全各该邻隔村址")


@lru_cache(maxsize=1)
def entity_words() -> dict[str, object]:
    """The word lists of `data/entity_words.yml`."""
    raw = yaml.safe_load(_WORDS_FILE.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def _grow_left(text: str, start: int, gaps: frozenset[int], limit: int = 4) -> int:
    """How far a place name reaches left of `start`: Chinese characters, not across punctuation."""
    k = start
    while k > 0 and start - k < limit and k not in gaps and "\u4e00" <= text[k - 1] <= "\u9fff" \
            and text[k - 1] not in _STOP:
        k -= 1
    return k


class PlaceFinder:
    """Proposes locations: building/unit/room patterns, streets, named estates and villages, and a
    gazetteer (built-in places plus those annotated in the training data)."""

    def __init__(self, extra_places: Iterable[str] = ()) -> None:
        words = entity_words()
        places = {str(p) for p in words.get("places", [])} | {p for p in extra_places if len(p) >= 2}  # type: ignore[union-attr]
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
        if self._places_re:
            out += [Found("location", m.start(), m.end(), m.group(0)) for m in self._places_re.finditer(text)]
        return out


class NameFinder:
    """Proposes person names: a surname with a form of address (张阿姨), 老王/小李, 我叫/姓/联系人 + name,
    a surname-led word standing alone between punctuation, and surname + common given-name characters."""

    def __init__(self) -> None:
        words = entity_words()
        surnames = str(words.get("surnames", "")).replace(" ", "")
        given = str(words.get("given_name_chars", "")).replace(" ", "")
        forms = sorted((str(f) for f in words.get("address_forms", [])), key=len, reverse=True)  # type: ignore[union-attr]
        sn = f"[{surnames}]"
        self._address_re = re.compile(rf"{sn}(?:{'|'.join(forms)})")
        self._old_young_re = re.compile(rf"[老小]{sn}")
        self._not_names = {str(w) for w in words.get("not_names", [])}  # type: ignore[union-attr]
        self._called_re = re.compile(
            rf"(?:叫|叫做|名字是|是|预约人|联系人|登记人|姓名)(?:那个)?(?P<name>{sn}[\u4e00-\u9fff]{{1,2}})"
        )
        self._surname_re = re.compile(rf"(?:我姓|免贵姓|姓)(?P<name>{sn})")
        self._given_re = re.compile(rf"{sn}[{given}]{{1,2}}")
        self._alone_re = re.compile(rf"{sn}[\u4e00-\u9fff]{{1,2}}")
        self._bad_given = re.compile(r"[龄年人家属的了吗呢吧嘛在是有要想来去说问这那个们员民户子女儿孙岁电话号]")

    def _trim(self, name: str) -> int:
        """Length of the name once cut at a character that cannot be part of it (王秀兰的 → 王秀兰)."""
        return next((i for i, c in enumerate(name) if i > 0 and self._bad_given.match(c)), len(name))

    def find(self, text: str, gaps: frozenset[int] = frozenset()) -> list[Found]:
        """Name candidates in normalised text, the value being the name as written."""
        out = [Found("person_name", m.start(), m.end(), m.group(0)) for m in self._address_re.finditer(text)]
        for m in self._old_young_re.finditer(text):
            if not any(text[m.start() : m.end() + k] in self._not_names for k in (0, 1, 2)):
                out.append(Found("person_name", m.start(), m.end(), m.group(0)))
        for pattern in (self._called_re, self._given_re):
            for m in pattern.finditer(text):
                start = m.start("name") if "name" in pattern.groupindex else m.start()
                cut = self._trim(text[start : m.end()])
                if cut >= 2:
                    out.append(Found("person_name", start, start + cut, text[start : start + cut]))
        # A name standing alone: 孙小梅 / 王建国，电话… (between punctuation or the ends of the message).
        for m in self._alone_re.finditer(text):
            s, e = m.start(), m.end()
            if (s == 0 or s in gaps) and (e == len(text) or e in gaps) and self._trim(m.group(0)) == e - s:
                out.append(Found("person_name", s, e, m.group(0)))
        for m in self._surname_re.finditer(text):
            out.append(Found("person_name", m.start("name"), m.end("name"), m["name"]))
        return out
