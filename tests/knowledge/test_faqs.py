"""A catalog FAQ asked nearly word for word is recognised; another question of the same service is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.faqs import CLOSE, amount_faq, match_faq, normalise, similarity
from knowledge.loader import load_catalog

CATALOG = Path(__file__).resolve().parents[2] / "knowledge" / "catalog"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


@pytest.mark.parametrize(
    ("sid", "text", "faq_start"),
    [
        ("elderly-allowance", "高龄津贴每个月能领多少钱", "高龄津贴每个月能领多少钱"),
        ("elderly-allowance", "嗯那个高龄经贴一个月能领多少钱", "高龄津贴每个月能领多少钱"),
        ("elderly-allowance", "老人户口不在这儿，能在这边领高龄津贴吗？", "老人户口不在这儿"),
        ("elderly-allowance", "嗯那个高龄经贴每年还要做认证吗", "每年还要做认证吗"),
        ("minimum-living-allowance", "低保标准是多少", "低保标准是多少"),
    ],
)
def test_close_questions_match(catalog, sid, text, faq_start):
    faq = match_faq(catalog.get(sid), text)
    assert faq is not None and faq.q.startswith(faq_start)


@pytest.mark.parametrize(
    ("sid", "text"),
    [("elderly-allowance", "高龄津贴要带什么材料"), ("elderly-allowance", "高龄津贴在哪办"),
     ("unemployment-insurance-benefit", "失业金每月能领多少钱"), ("elderly-allowance", "高龄津贴")],
)
def test_other_questions_do_not(catalog, sid, text):
    faq = match_faq(catalog.get(sid), text)
    assert faq is None or "多久" not in faq.q  # 每月能领多少 may match; 能领多久 must not
    if text in ("高龄津贴要带什么材料", "高龄津贴在哪办", "高龄津贴"):
        assert faq is None


def test_distinct_faqs_of_one_service_stay_apart(catalog):
    # Near-duplicate FAQs (the same question twice) aside, two FAQs of a service must not both match.
    clashes = []
    for s in catalog:
        qs = [normalise(f.q, s) for f in s.faqs]
        for i, a in enumerate(qs):
            for b in qs[i + 1:]:
                if similarity(a, b) >= CLOSE and a != b:
                    clashes.append((s.id, a, b))
    assert len(clashes) <= 4, clashes


def test_amount_faq(catalog):
    assert amount_faq(catalog.get("elderly-allowance")).q.startswith("高龄津贴每个月能领多少钱")
    assert amount_faq(catalog.get("bathing-assistance")) is None
    assert amount_faq(catalog.get("meal-assistance")) is None  # 吃一顿多少钱 is a price, not a payment
