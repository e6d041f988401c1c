"""Person names: 张阿姨, 老王, 我叫王秀兰, 我姓王, and a name standing alone (王建国，电话…)."""

from __future__ import annotations

import re

from bot.nlu.entities.base import Found
from bot.nlu.entities.words import word_list
from bot.text import CJK


class NameFinder:
    """Proposes person names: a surname with a form of address (张阿姨), 老王/小李, 我叫/姓/联系人 + name,
    a surname-led word standing alone between punctuation, and surname + common given-name characters."""

    def __init__(self) -> None:
        surnames = "".join(word_list("surnames"))
        given = "".join(word_list("given_name_chars"))
        forms = sorted(word_list("address_forms"), key=len, reverse=True)
        sn = f"[{surnames}]"
        self._address_re = re.compile(rf"{sn}(?:{'|'.join(forms)})")
        self._old_young_re = re.compile(rf"[老小]{sn}")
        self._not_names = set(word_list("not_names"))
        self._called_re = re.compile(
            rf"(?:叫|叫做|名字是|是|预约人|联系人|登记人|姓名)(?:那个)?(?P<name>{sn}[{CJK}]{{1,2}})"
        )
        self._surname_re = re.compile(rf"(?:我姓|免贵姓|姓)(?P<name>{sn})")
        self._given_re = re.compile(rf"{sn}[{given}]{{1,2}}")
        self._alone_re = re.compile(rf"{sn}[{CJK}]{{1,2}}")
        # Characters that end a name: grammar words, and words of places and errands that a given name
        # almost never holds (单元门, 查进度, 关不上 stand alone in dictated text but are no names).
        self._bad_given = re.compile(
            r"[龄年人家属的了吗呢吧嘛在是有要想来去说问这那个们员民户子女儿孙岁电话号"
            r"不下上得过给让把被没咋啥么哈啊呀哦嗯门村楼组元室度查办开关修坏冷热吃喝找看听文]"
        )

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
