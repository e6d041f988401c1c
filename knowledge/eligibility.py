"""Can this resident use this service? The logic of a short eligibility dialogue, as pure functions.

The dialogue layer keeps the facts gathered so far, calls `extract_facts` on each message (passing the
fact it just asked about, so that "是的" or "没有" can be understood), then `assess`, which either gives a
verdict with reasons or names the one missing fact to ask next. Only the catalog's structured
conditions are checked, and every verdict says the window has the final word.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import cn2an

from knowledge.ages import age_of_subject
from knowledge.schema import Condition, Service

Status = Literal["eligible", "ineligible", "unknown"]

FINAL_WORD = "最终以窗口审核为准。"

_BOOL_WORDS: dict[str, tuple[str, str]] = {
    "hukou_local": ("本地户籍", "非本地户籍"),
    "residence_local": ("居住在本社区", "不在本社区居住"),
    "low_income": ("低保或低保边缘家庭", "不是低保或低保边缘家庭"),
    "special_hardship": ("特困供养人员", "不是特困供养人员"),
    "employed": ("目前有工作", "目前没有工作"),
    "living_alone": ("独居或只和老伴同住", "和子女或其他家人同住"),
    "insured": ("已经参保", "还没有参保"),
}
_GRADES = "零一二三四"
_OPS = {">=": "满{v}", ">": "超过{v}", "<=": "不超过{v}", "<": "不满{v}", "==": "为{v}", "!=": "不是{v}"}

BOOL_FACTS = frozenset({"hukou_local", "residence_local", "low_income", "special_hardship", "employed",
                        "living_alone", "insured"})
INT_FACTS = frozenset({"age", "disability_grade", "child_age_months"})


@dataclass(frozen=True)
class Verdict:
    """The outcome so far: a status, plain-Chinese reasons, and the next question when unknown."""

    status: Status
    reasons: list[str] = field(default_factory=list)
    next_fact: str | None = None
    question: str | None = None
    text: str = ""
    # The verdict as a listener hears it: short, the requirement still to check in one clause.
    speech: str = ""


def _value(c: Condition) -> Any:
    """The condition's value; a number filled in from a community placeholder ("{elderly_allowance_age}" →
    "80") is read as a number, because such thresholds differ by city."""
    v = c.value
    if isinstance(v, str) and v.strip().isdigit():
        return int(v)
    return v


def describe(c: Condition) -> str:
    """A condition in plain words, e.g. `age >= 80` → 年满80周岁."""
    v = _value(c)
    if c.fact in _BOOL_WORDS and isinstance(v, bool):
        yes, no = _BOOL_WORDS[c.fact]
        return yes if (v if c.op == "==" else not v) else no
    if c.fact == "disability_grade":
        grades = [g for g in range(1, 5) if _holds(c, g)]
        if grades == [1, 2, 3, 4]:
            return "持有残疾人证"
        if not grades:
            return "不持有残疾人证"
        return "持有" + "或".join(f"{_GRADES[g]}级" for g in grades) + "残疾人证"
    if c.fact == "age" and c.op == ">=" and isinstance(v, int):
        return f"年满{v}周岁"
    subject, unit = ("年龄", "岁") if c.fact == "age" else ("孩子月龄", "个月")
    if c.op == "in" and isinstance(v, list):
        return f"{subject}为" + "、".join(f"{x}{unit}" for x in v)
    return subject + _OPS.get(c.op, "{v}").format(v=f"{v}{unit}")


def _holds(c: Condition, fact: Any) -> bool:
    """Whether a known fact satisfies a condition."""
    v = _value(c)
    if c.fact in BOOL_FACTS:
        fact = bool(fact)
    elif c.fact in INT_FACTS:
        fact = int(fact)
        # Grade 0 means no certificate at all: it is not "至少二级" just because 0 <= 2.
        if c.fact == "disability_grade" and fact == 0 and c.op in ("<", "<="):
            return False
    if c.op == "in":
        return isinstance(v, list) and fact in v
    if c.op == "==":
        return bool(fact == v)
    if c.op == "!=":
        return bool(fact != v)
    if isinstance(v, bool | list | str) or isinstance(fact, bool):
        return False
    return {">=": fact >= v, "<=": fact <= v, ">": fact > v, "<": fact < v}[c.op]


def _usable(c: Condition) -> bool:
    v = _value(c)
    if c.fact in INT_FACTS and c.op != "in":
        return isinstance(v, int) and not isinstance(v, bool)
    return True


def _known(facts: Mapping[str, Any], c: Condition) -> bool:
    return facts.get(c.fact) is not None


def _final(service: Service, status: Status, reasons: list[str]) -> Verdict:
    said = "；".join(r.rstrip("。；") for r in reasons)
    if status == "eligible" and service.eligibility.complete:
        text = f"按您说的情况，符合「{service.name}」的条件：{said}。可以准备好材料去申请。{FINAL_WORD}"
        listed = said.replace("；", "、")
        speech = f"按您说的情况，符合{service.name}的条件，{listed}。可以准备好材料去申请。{FINAL_WORD}"
        return Verdict(status=status, reasons=reasons, text=text, speech=speech)
    elif status == "eligible":
        # Only part of the rule could be checked: say which part holds and what else the window looks at,
        # never a plain 符合 that sends a resident to apply for something they may not get.
        part = "这一条" if len(reasons) == 1 else "这几条"
        lead = f"按您说的情况，{said.replace('；', '、')}，{part}符合「{service.name}」的要求。"
        full = service.eligibility.text.rstrip("。")
        text = f"{lead}完整的条件是：{full}。其他条件也符合的话，可以准备好材料去申请。{FINAL_WORD}"
        rule = re.split(r"[；;。（(]", full, maxsplit=1)[0]
        speech = f"{lead.replace('「', '').replace('」', '')}完整的条件是{rule}。{FINAL_WORD}"
        return Verdict(status=status, reasons=reasons, text=text, speech=speech)
    else:
        text = (f"按您说的情况，暂时不符合「{service.name}」的条件：{said}。"
                f"如果情况有变化，或者家里确有困难，可以到社区问问有没有其他帮扶。{FINAL_WORD}")
        why = re.split(r"[；;。]", said, maxsplit=1)[0]
        speech = f"按您说的情况，暂时不符合{service.name}的条件，{why}。{FINAL_WORD}"
        return Verdict(status=status, reasons=reasons, text=text, speech=speech)
    return Verdict(status=status, reasons=reasons, text=text)


def _ask(c: Condition) -> Verdict:
    return Verdict(status="unknown", next_fact=c.fact, question=c.question, text=c.question)


def assess(service: Service, facts: Mapping[str, Any]) -> Verdict:
    """Judge eligibility from the facts known so far, or name the one fact to ask next (in condition order).

    Pass a service already filled for the community (`render_service`) so the texts carry no placeholders.
    """
    # A threshold filled from a community value that is not a number cannot be checked: leave it to the
    # window rather than judge against it.
    conditions = [c for c in service.eligibility.conditions if _usable(c)]
    if not conditions:
        text = (f"「{service.name}」的申请条件是：{service.eligibility.text.rstrip('。')}。"
                f"这一项要结合具体情况判断，可以带上材料到窗口问一下。{FINAL_WORD}")
        return Verdict(status="unknown", reasons=[service.eligibility.text], text=text)
    known = [c for c in conditions if _known(facts, c)]
    missing = [c for c in conditions if not _known(facts, c)]
    passed = [c for c in known if _holds(c, facts[c.fact])]
    failed = [c for c in known if not _holds(c, facts[c.fact])]
    if service.eligibility.mode == "all":
        if failed:
            return _final(service, "ineligible", [c.fail_reason for c in failed])
        if missing:
            return _ask(missing[0])
        return _final(service, "eligible", [describe(c) for c in passed])
    if passed:
        return _final(service, "eligible", [describe(c) for c in passed])
    if missing:
        return _ask(missing[0])
    return _final(service, "ineligible", [c.fail_reason for c in failed])


# ---- Facts from what the resident said ---------------------------------------------------------------

# (negative patterns, positive patterns) per yes/no fact; negatives are tried first ("户口不在这").
_BOOL_PATTERNS: dict[str, tuple[str, str]] = {
    "hukou_local": (
        r"户[口籍]不在|外地户[口籍]|非本地户|户[口籍]在(?:老家|外地|外省|农村老家)|不是本地|户[口籍]不是本",
        r"本地户[口籍]|本[市区县]户[口籍]|户[口籍]在(?:本地|这|我们这|咱们这|本市|本区|社区|本村|村里)|本地人",
    ),
    "residence_local": (
        r"不住在?(?:这|本社区|小区|社区|村里)|没住在?这|住在?(?:外地|别处|别的地方)",
        r"住在?(?:这|本社区|这个小区|我们小区|咱们小区|社区里|小区里|村里)|就住这",
    ),
    "low_income": (r"(?:不是|没有|没吃|没领|不吃|没办|没评上)低保|低保.{0,2}没批", r"低保"),
    "special_hardship": (r"(?:不是|没有|不算)(?:特困|五保)", r"特困|五保"),
    "employed": (
        r"没(?:有)?(?:工作|活干)|没(?:在)?上班|失业|下岗|待业|找不到工作|无业|不上班了",
        r"在上班|有工作|在职|上着班|在打工|正在工作|有单位",
    ),
    "living_alone": (
        r"(?:和|跟|与)(?:儿子|女儿|子女|孩子|儿女|家人|孙子|孙女|保姆)(?:一起|一块)?住|不是一个人住|不是独居|不独居",
        r"独居|一个人住|自己住|老两口|(?:跟|和)老伴儿?(?:一起)?住|空巢|身边没人",
    ),
    "insured": (
        r"没(?:有)?(?:交|缴|参加|参|买)(?:了)?(?:医保|社保|保险)|没(?:有)?(?:医保|社保)|没参保|断缴|未参保",
        r"(?:交|缴|买)了(?:医保|社保)|参保了|有(?:医保|社保)|已经参保|在(?:交|缴)(?:医保|社保)",
    ),
}
_CHILD_WORDS = re.compile(r"孩子|宝宝|娃|小孩|婴儿|幼儿|孙子|孙女|外孙|小朋友|闺女|宝贝")
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_YEARS = re.compile(r"(\d{1,3})\s*(?:多|来)?\s*(?:周岁|岁)(?:\s*(半)|\s*零?\s*(\d{1,2})\s*个?月)?")
_MONTHS = re.compile(r"(\d{1,3})\s*个\s*(?:多)?月|半岁")
_AGE_SAID = re.compile(
    r"(?:今年|年龄|年纪|岁数|已经|都)\s*(?:是|有)?\s*(\d{1,3})(?!\s*[年月日号个天次块元])"
    r"|(\d{2,3})\s*(?:多|来)?\s*了"
)
_GRADE = re.compile(
    r"残疾\s*(?:人证)?\s*(?:等级)?\s*(?:是)?\s*([1-4])\s*级"
    r"|([1-4])\s*级\s*(?:残疾|伤残|肢体|视力|听力|智力|精神|言语)"
)
_NO_GRADE = re.compile(r"没(?:有)?(?:残疾|办残疾证)|不是残疾|不残疾")
_FILLERS = re.compile(r"嗯嗯|那个|就是|这个|呃|啊|吧|呢|哦|噢|唉|诶|哎|呀|[\s，。！？、,.!?~…]")
_UNSURE = re.compile(r"不知道|不清楚|不确定|说不好|忘了|不记得|不太懂")
# "有没有…", "是不是…" ask both ways; any other negation makes "是" mean the negative
# ("您现在是没有工作吗？" — "是" means no work).
_BOTH_WAYS = re.compile(r"有没有|是不是|是否|能不能|会不会|对不对|要不要|可不可以|(.)没\1")
_NEGATION = re.compile(r"没|不|未|无|非")
_YES = ("没错", "不错", "是", "对", "有", "嗯", "恩", "确实", "当然", "可以", "yes", "ok")
_NO = ("不", "没", "无", "否", "no")


def _arabic(text: str) -> str:
    """Chinese numerals to digits (八十二 → 82); spans cn2an cannot read are kept."""

    def one(m: re.Match[str]) -> str:
        try:
            return str(int(cn2an.cn2an(m.group(0), "smart")))
        except (ValueError, KeyError, TypeError):
            return m.group(0)

    return _CN_NUMBER.sub(one, text)


def _yes_no(text: str) -> bool | None:
    """A bare yes or no to the question just asked; None when it is neither."""
    if _UNSURE.search(text):
        return None
    short = _FILLERS.sub("", text.lower())
    if not short:
        return True if "嗯" in text else None
    if len(short) > 8:
        return None
    if short.startswith(("没错", "不错")):
        return True
    if short.startswith(_NO):
        return False
    return True if short.startswith(_YES) else None


def yes_means(question: str) -> bool:
    """What a bare "是"/"有" says about the fact asked: False when the question itself is negative."""
    return not _NEGATION.search(_BOTH_WAYS.sub("", question))


def _ages(t: str, childish: bool, today: dt.date) -> tuple[int | None, int | None]:
    """(age in years of the person asked about, child age in months) from text whose numerals are digits."""
    age = child = small = None
    for m in _YEARS.finditer(t):
        years, half, months = int(m.group(1)), m.group(2), m.group(3)
        if half or months or (childish and years < 7):
            child = years * 12 + (6 if half else int(months or 0))
        elif 0 < years < 10:
            small = years  # a school child's age; adults' ages are read with their person below
    if child is None and (m2 := _MONTHS.search(t)):
        child = 6 if m2.group(0) == "半岁" else int(m2.group(1))
    said = age_of_subject(t, today)
    if said is not None and not (childish and said < 7):
        age = said
    elif small is not None:
        age = small
    if childish and age is None and child is None and (m3 := _AGE_SAID.search(t)):
        value = int(m3.group(1) or m3.group(2))
        if value < 7:
            child = value * 12
        elif value <= 18:
            age = value
    return age, child


def _from_pending(pending: str, t: str, text: str, question: str | None) -> Any:
    """Read a reply against the fact just asked: a bare number, or a bare yes/no."""
    if pending in BOOL_FACTS:
        answer = _yes_no(text)
        return answer if answer is None or question is None else answer == yes_means(question)
    numbers = [int(n) for n in re.findall(r"\d{1,3}", t)]
    if pending == "disability_grade":
        if numbers and 1 <= numbers[0] <= 4:
            return numbers[0]
        return 0 if _yes_no(text) is False else None
    if len(numbers) == 1:
        if pending == "age" and 0 < numbers[0] <= 120:
            return numbers[0]
        if pending == "child_age_months":
            return numbers[0] * 12 if numbers[0] <= 6 else numbers[0]
    return None


def extract_facts(
    text: str,
    entities: Iterable[Mapping[str, Any]] = (),
    pending_fact: str | None = None,
    *,
    question: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The eligibility facts a message states ("我妈今年八十二" → age 82), and a yes/no to `pending_fact`.

    Pass the `question` just put (the verdict's `question`) so that "是" to a negative question such as
    "您现在是没有工作的状态吗？" is read as no work.
    """
    facts: dict[str, Any] = {}
    t = _arabic(text)
    childish = bool(_CHILD_WORDS.search(text)) or pending_fact == "child_age_months"
    age, child = _ages(t, childish, today or dt.date.today())
    if age is not None:
        facts["age"] = age
    if child is not None:
        facts["child_age_months"] = child
    if (g := _GRADE.search(t)) is not None:
        facts["disability_grade"] = int(g.group(1) or g.group(2))
    elif _NO_GRADE.search(text):
        facts["disability_grade"] = 0
    for fact, (negative, positive) in _BOOL_PATTERNS.items():
        if re.search(negative, text):
            facts[fact] = False
        elif re.search(positive, text):
            facts[fact] = True
    for ent in entities:
        if ent.get("entity") == "age" and "age" not in facts and "child_age_months" not in facts:
            try:
                value = int(ent.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if 0 < value <= 120:
                facts["age"] = value
    if pending_fact and pending_fact not in facts:
        value = _from_pending(pending_fact, t, text, question)
        if value is not None:
            facts[pending_fact] = value
    return facts
