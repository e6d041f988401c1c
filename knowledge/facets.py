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
    time = "time"
    online = "online"
    certificate = "certificate"
    overview = "overview"


_BY_INTENT = {
    "ask_documents": Facet.documents,
    "ask_eligibility": Facet.eligibility,
    "request_certificate": Facet.certificate,
}

# Checked in this order: the more specific question wins ("多长时间" is about processing time, not hours;
# "网上能申请吗" is about applying online).
_KEYWORDS: tuple[tuple[Facet, tuple[str, ...]], ...] = (
    (Facet.documents, ("材料", "带什么", "带啥", "拿什么", "证件", "要带", "准备什么", "准备啥", "复印件")),
    (Facet.online, ("网上", "手机上", "线上", "小程序", "公众号", "app", "网办", "不用跑", "在家办", "掌上")),
    (Facet.eligibility, ("条件", "资格", "符合", "能不能申请", "能不能办", "可以申请吗", "能申请吗",
                         "够不够")),
    (Facet.fees, ("多少钱", "收费", "收钱", "要钱", "费用", "花钱", "交钱", "免费", "几块钱", "价格")),
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


def detect_facet(
    intent: str, text: str, entities: Iterable[Mapping[str, Any]] | None = None
) -> Facet:
    """The facet a message asks about, from its NLU intent refined by keywords in the text."""
    named = _facet_from_entities(entities) or _facet_from_payload(text.strip())
    if named is not None:
        return named
    if intent in _BY_INTENT:
        return _BY_INTENT[intent]
    if intent not in _REFINED:
        return Facet.overview
    lowered = text.lower()
    for facet, words in _KEYWORDS:
        if any(w in lowered for w in words):
            return facet
    return Facet.overview
