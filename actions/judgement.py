"""Reading a resident's verdict on a service: is it a rating, which grade, what comment.

The classifier sees 饭菜太咸了 as a request and 一般般 as a question; the words of `judgement_words.yml`
say what it misses: a verdict on something received (a rating even when nothing asked for one), a short
grade that only answers a rating question (挺好的), and the resident's own words to keep as the comment.
Grade words proper (好评, 差评, 满意, 五星, 一分) are the NLU's rating entity, found again here in the raw
text so that the comment is the resident's words without them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.entities.quantities import find_ratings
from bot.text import CJK

_WORDS_FILE = Path(__file__).resolve().with_name("judgement_words.yml")
_CJK = re.compile(f"[{CJK}]")
_MARK = "\x00"
# Grade words of the NLU that also answer other questions (还行 to 这样行吗).
_WEAK_GRADES = frozenset({"还行", "一般", "一般般"})


@dataclass(frozen=True)
class Words:
    """The compiled word lists of `judgement_words.yml`."""

    verdicts: tuple[tuple[re.Pattern[str], int | None], ...]
    answers: tuple[tuple[re.Pattern[str], int], ...]
    question: re.Pattern[str]
    request: re.Pattern[str]
    kinds: dict[str, re.Pattern[str]]
    service_words: dict[str, re.Pattern[str]]
    declines: re.Pattern[str]
    remarks: re.Pattern[str]
    before_grade: re.Pattern[str]
    after_grade: re.Pattern[str]
    phrases: re.Pattern[str]
    fillers: re.Pattern[str]
    acknowledgements: re.Pattern[str]


@lru_cache(maxsize=1)
def words() -> Words:
    """The word lists, compiled once."""
    raw: dict[str, Any] = yaml.safe_load(_WORDS_FILE.read_text(encoding="utf-8"))
    noise = raw["comment_noise"]
    return Words(
        verdicts=tuple((re.compile(p), g["score"]) for g in raw["verdicts"] for p in g["patterns"]),
        answers=tuple((re.compile(p), int(g["score"])) for g in raw["answers"] for p in g["patterns"]),
        question=re.compile("|".join(f"(?:{p})" for p in raw["questions"])),
        request=re.compile("|".join(f"(?:{p})" for p in raw["requests"])),
        kinds={k: re.compile(p) for k, p in raw["kinds"].items()},
        service_words={k: re.compile(p) for k, p in raw["service_words"].items()},
        declines=re.compile(raw["declines"]),
        remarks=re.compile(raw["remarks"]),
        before_grade=re.compile(noise["before_grade"]),
        after_grade=re.compile(noise["after_grade"]),
        phrases=re.compile(noise["phrases"]),
        fillers=re.compile(noise["fillers"]),
        acknowledgements=re.compile(noise["acknowledgements"], re.IGNORECASE),
    )


@dataclass(frozen=True)
class Reading:
    """What a message says as a rating."""

    score: int | None = None          # the grade the words make clear anywhere (差评, 太差劲了), 1–5
    answer_score: int | None = None   # the grade of a short answer to a rating question (挺好的 → 4)
    verdict: bool = False             # a judgement of a service received, wherever it is said
    comment: str = ""                 # the resident's words minus grade words and fillers
    kind: str | None = None           # work_order | booking, when the words say which
    services: tuple[str, ...] = field(default_factory=tuple)  # catalog ids named or implied (饭菜 → 助餐)
    declined: bool = False            # 不用了 / 不评了: no grade wanted
    remark: bool = False              # 就是… / 因为…: explains a grade just given
    question: bool = False            # a question, never a verdict

    @property
    def any_score(self) -> int | None:
        """The grade when a rating question is pending: clear words first, then a short answer."""
        return self.score if self.score is not None else self.answer_score


def read(text: str, entities: Sequence[Mapping[str, Any]] = ()) -> Reading:
    """Read a message (a button payload gives its grade through `entities` and no words)."""
    grade = _entity_grade(entities)
    services = tuple(str(e["value"]) for e in entities if e.get("entity") == "service")
    text = text.strip()
    if text.startswith("/"):
        return Reading(score=grade, services=services)
    w = words()
    # The grade words found again in the raw text give the spans to leave out of the comment; the weak
    # ones (还行, 一般) grade a service only as an answer, as the NLU's span filter also judges.
    found = find_ratings(text)
    strong = [f for f in found if text[f.start:f.end] not in _WEAK_GRADES]
    if grade is None and strong:
        grade = int(strong[0].value)
    question = bool(w.question.search(text))
    request = bool(w.request.search(text))
    verdict_score, verdict = _verdict(text)
    answer_score = int(found[0].value) if found else _answer(text)
    score = grade if grade is not None else verdict_score
    implied = tuple(s for s, p in w.service_words.items() if p.search(text) and s not in services)
    comment = comment_of(text, [(f.start, f.end) for f in found])
    if comment and len(_CJK.findall(_without_answers(comment))) < 2:
        comment = ""  # only the grade was said (挺好的, 不太好)
    return Reading(
        score=score,
        answer_score=answer_score,
        verdict=not question and (grade is not None or (verdict and not request)),
        comment=comment,
        kind=next((k for k, p in w.kinds.items() if p.search(text)), None),
        services=services + implied,
        declined=bool(w.declines.search(text)) and grade is None and answer_score is None,
        remark=bool(w.remarks.search(text)) and bool(comment),
        question=question,
    )


def _without_answers(text: str) -> str:
    """The text without the short grade answers in it (挺好的 → 的)."""
    for pattern, _ in words().answers:
        text = pattern.sub("", text)
    return re.sub(r"[的了啊吧呀哈呢嘛]", "", text)


def _entity_grade(entities: Sequence[Mapping[str, Any]]) -> int | None:
    for e in entities:
        if e.get("entity") == "rating":
            try:
                score = float(e["value"])
            except (TypeError, ValueError):
                continue
            if math.isfinite(score):
                return max(1, min(5, round(score)))
    return None


def _verdict(text: str) -> tuple[int | None, bool]:
    """The clearest verdict in the words: a graded one wins over an ungraded one, the longest wins."""
    best: tuple[int, int] | None = None  # (length, score)
    found = False
    for pattern, score in words().verdicts:
        for m in pattern.finditer(text):
            found = True
            if score is not None and (best is None or len(m.group(0)) > best[0]):
                best = (len(m.group(0)), score)
    return (best[1] if best else None), found


def _answer(text: str) -> int | None:
    """The grade of a short answer (挺好的, 一般般, 不太好): the longest match, so 不好 is not 好."""
    best: tuple[int, int] | None = None
    for pattern, score in words().answers:
        for m in pattern.finditer(text):
            if best is None or len(m.group(0)) > best[0]:
                best = (len(m.group(0)), score)
    return best[1] if best else None


def comment_of(text: str, grade_spans: Sequence[tuple[int, int]]) -> str:
    """The resident's words without the grade words, the words around them (我要给个) and fillers.

    Empty when what is left says nothing (好的, 嗯, 谢谢) or is shorter than two Chinese characters.
    """
    w = words()
    marked = text
    for start, end in sorted(set(grade_spans), reverse=True):
        marked = marked[:start] + _MARK + marked[end:]
    pieces = []
    for i, piece in enumerate(marked.split(_MARK)):
        if i > 0:
            piece = w.after_grade.sub("", piece)
        if i < marked.count(_MARK):
            piece = w.before_grade.sub("", piece)
        pieces.append(piece)
    rest = w.phrases.sub(" ", " ".join(pieces))
    parts = [p.strip(" ，,。.！!、～~") for p in re.split(r"[，,。.！!\s]+", rest)]
    parts = [w.fillers.sub("", p) for p in parts]
    kept = [p for p in parts if len(_CJK.findall(p)) >= 2 and not w.acknowledgements.match(p)]
    return "，".join(kept)[:1000]


def is_acknowledgement(text: str) -> bool:
    """好的 / 嗯 / 没有了 / 谢谢: the resident has nothing more to add."""
    stripped = words().fillers.sub("", text.strip(" ，,。.！!"))
    return not stripped or bool(words().acknowledgements.match(stripped))


__all__ = ["Reading", "comment_of", "is_acknowledgement", "read", "words"]
