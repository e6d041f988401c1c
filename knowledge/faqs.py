"""Catalog FAQs as answers: a question asked nearly word for word gets the FAQ's own answer.

The catalog's FAQs are the questions residents really ask ("高龄津贴每个月能领多少钱？"), answered by
people who know the rules; when a message is close to one, that answer beats anything assembled from
the service's fields. Closeness is the Dice coefficient of character bigrams after fillers, punctuation
and the service's own names are taken out. Written by hand because the texts are short and the two
sides share a service: a sentence encoder would add a model load for no gain here, and a fuzzy-matching
library would need the same normalisation anyway.
"""

from __future__ import annotations

import re
from collections import Counter

from bot.text import fold_width_case
from knowledge.facets import asks_amount
from knowledge.schema import Faq, Service

# At this closeness a message is the FAQ's question in other filler words (measured on the catalog's
# own FAQs: rephrasings of one FAQ score 0.62-1.0, different FAQs of one service at most 0.5).
CLOSE = 0.6
_SERVICE = "Ⓢ"
_FILLERS = re.compile(
    r"请问一下|请问|我想问一下|我想问问|我想问|想问一下|问一下|问问|你好|您好|麻烦|那个|这个|就是|嗯+|呃|啊|哦|噢|唉|哎|呀|吧|呢"
)
_PUNCT = re.compile(r"[\s\W_]+")
_SUFFIXES = ("申领", "申请", "办理", "开具", "服务")


def _names(service: Service) -> list[str]:
    names = {service.name, *service.aliases}
    for suffix in _SUFFIXES:
        if service.name.endswith(suffix) and len(service.name) > len(suffix) + 1:
            names.add(service.name.removesuffix(suffix))
    return sorted((n for n in names if len(n) >= 2), key=len, reverse=True)


def normalise(text: str, service: Service) -> str:
    """Lower-case words only, fillers dropped, any name of the service replaced by one mark."""
    t = fold_width_case(text)
    for name in _names(service):
        t = t.replace(name.lower(), _SERVICE)
    t = _FILLERS.sub("", t)
    return _PUNCT.sub("", t)


def _bigrams(text: str) -> Counter[str]:
    return Counter(text[i:i + 2] for i in range(len(text) - 1)) if len(text) > 1 else Counter(text)


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' character bigrams, in [0, 1]."""
    x, y = _bigrams(a), _bigrams(b)
    total = sum(x.values()) + sum(y.values())
    return 2 * sum((x & y).values()) / total if total else 0.0


def match_faq(service: Service, text: str, threshold: float = CLOSE) -> Faq | None:
    """The service's FAQ that the message asks nearly word for word, or None."""
    said = normalise(text, service)
    if len(said) < 3:
        return None
    scored = [(similarity(said, normalise(f.q, service)), i) for i, f in enumerate(service.faqs)]
    best = max(scored, default=(0.0, -1))
    return service.faqs[best[1]] if best[0] >= threshold else None


def amount_faq(service: Service) -> Faq | None:
    """The FAQ that says how much the service pays out (能领多少, 标准是多少), if there is one."""
    return next((f for f in service.faqs if asks_amount(f.q)), None)


__all__ = ["CLOSE", "amount_faq", "match_faq", "normalise", "similarity"]
