"""Which part of a service a resident asks about: documents, conditions, place and hours, fees …

A well-informed community worker answers "要带什么" with the documents, not with the whole leaflet;
the facet tells the answer what to lead with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any


class Facet(StrEnum):
    """The aspect of a service a question is about."""

    documents = "documents"
    eligibility = "eligibility"
    how = "how"
    where_when = "where_when"
    fees = "fees"
    amount = "amount"
    time = "time"
    online = "online"
    certificate = "certificate"
    overview = "overview"


_BY_INTENT = {
    "ask_documents": Facet.documents,
    "ask_eligibility": Facet.eligibility,
    "request_certificate": Facet.certificate,
}

# Money questions come in two kinds that must not be confused: what a resident pays (收费吗, 多少钱一次)
# and what a benefit pays out (能领多少, 补多少, 标准是多少). A bare 多少钱 is the second about a benefit
# (高龄津贴多少钱) and the first about anything else (助浴多少钱); `detect_facet(pays=...)` decides.
_FEE_WORDS = ("收费", "收钱", "要钱", "费用", "花钱", "交钱", "交多少", "付多少", "掏钱", "免费", "价格",
              "贵不贵", "自费", "多少钱一次", "一次多少钱", "一次多少", "一顿多少", "多少钱一顿",
              "一小时多少", "多少钱一小时", "一天多少钱", "多少钱一天", "怎么收")
_AMOUNT_WORDS = ("能领多少", "领多少", "可以领多少", "能拿多少", "拿多少", "补多少", "补贴多少", "补助多少",
                 "津贴多少", "发多少", "给多少", "标准是多少", "标准多少", "什么标准", "啥标准", "多少标准",
                 "每个月多少", "一个月多少", "每月多少", "一年多少", "每年多少", "有多少钱", "能有多少",
                 "领几百", "领多少钱", "补多少钱", "发多少钱", "到手多少")
_MONEY_WORDS = ("多少钱", "几块钱", "几百块", "几千块")

# Checked in this order: the more specific question wins ("多长时间" is about processing time, not hours;
# "网上能申请吗" is about applying online).
_KEYWORDS: tuple[tuple[Facet, tuple[str, ...]], ...] = (
    (Facet.documents, ("材料", "带什么", "带啥", "拿什么", "证件", "要带", "准备什么", "准备啥", "复印件")),
    (Facet.online, ("网上", "手机上", "线上", "小程序", "公众号", "app", "网办", "不用跑", "在家办", "掌上")),
    (Facet.eligibility, ("条件", "资格", "符合", "能不能申请", "能不能办", "可以申请吗", "能申请吗",
                         "够不够")),
    (Facet.fees, _FEE_WORDS),
    (Facet.amount, _AMOUNT_WORDS),
    (Facet.fees, ("多少钱", "几块钱")),
    (Facet.time, ("多久", "几天", "多长时间", "多少天", "工作日", "时限", "多快", "等多长", "什么时候能拿",
                  "什么时候到账", "什么时候下来", "什么时候办好", "啥时候到账", "到账")),
    (Facet.where_when, ("在哪", "哪里", "哪儿", "什么地方", "啥地方", "地址", "地点", "窗口", "几点",
                        "上班", "下班", "开门", "关门", "时间", "什么时候", "啥时候", "周末", "星期几",
                        "礼拜", "节假日")),
    (Facet.how, ("怎么办", "流程", "步骤", "怎么弄", "怎么申请", "怎么领", "手续", "程序", "如何办",
                 "怎么操作", "咋办", "怎么搞", "办理方法")),
)

_FACET_ENTITY = "facet"
# Intents whose text is refined by keywords; follow-up messages often come as `inform`.
_REFINED = frozenset({"ask_service_info", "inform", ""})


def _facet_from_entities(entities: Iterable[Mapping[str, Any]] | None) -> Facet | None:
    for ent in entities or ():
        if ent.get("entity") == _FACET_ENTITY:
            try:
                return Facet(str(ent.get("value")))
            except ValueError:
                return None
    return None


def _facet_from_payload(text: str) -> Facet | None:
    """A button payload `/ask_service_info{"service":"x","facet":"fees"}` names its facet."""
    m = re.search(r'"facet"\s*:\s*"([a-z_]+)"', text) if text.startswith("/") else None
    if m:
        try:
            return Facet(m.group(1))
        except ValueError:
            return None
    return None


def asks_amount(text: str) -> bool:
    """Whether a text asks how much is paid out (能领多少, 标准是多少), not what something costs."""
    lowered = text.lower()
    return any(w in lowered for w in _AMOUNT_WORDS) and not any(w in lowered for w in _FEE_WORDS)


def detect_facet(
    intent: str, text: str, entities: Iterable[Mapping[str, Any]] | None = None, *, pays: bool = False
) -> Facet:
    """The facet a message asks about, from its NLU intent refined by keywords in the text.

    `pays` says the service pays something out (an allowance, a subsidy): then a bare 多少钱 asks the
    amount, not a fee. The NLU tags 多少钱 questions as `ask_eligibility` now and then ("能领多少钱"),
    so money questions are read from the words whatever the intent.
    """
    named = _facet_from_entities(entities) or _facet_from_payload(text.strip())
    if named is not None:
        return named
    lowered = text.lower()
    if intent in _REFINED or intent == "ask_eligibility":
        if asks_amount(lowered) or (pays and any(w in lowered for w in _MONEY_WORDS)
                                    and not any(w in lowered for w in _FEE_WORDS)):
            return Facet.amount
    if intent == "request_certificate":
        # "居住证明要带什么" asks the documents of a certificate, not whether the committee issues it.
        specific = (Facet.documents, Facet.where_when, Facet.time, Facet.fees, Facet.how, Facet.online)
        for facet, words in _KEYWORDS:
            if facet in specific and any(w in lowered for w in words):
                return facet
    if intent in _BY_INTENT:
        return _BY_INTENT[intent]
    if intent not in _REFINED:
        return Facet.overview
    for facet, words in _KEYWORDS:
        if any(w in lowered for w in words):
            return facet
    return Facet.overview
