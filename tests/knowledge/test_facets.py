"""Facet detection: the intent decides, keywords refine a general service question."""

from __future__ import annotations

import pytest

from knowledge.facets import Facet, detect_facet


@pytest.mark.parametrize(
    ("intent", "text", "facet"),
    [
        ("ask_documents", "高龄津贴要带啥", Facet.documents),
        ("ask_eligibility", "我妈八十二能不能领", Facet.eligibility),
        ("request_certificate", "社区能开亲属关系证明吗", Facet.certificate),
        ("ask_service_info", "高龄津贴在哪里办", Facet.where_when),
        ("ask_service_info", "社区几点上班", Facet.where_when),
        ("ask_service_info", "居住证明地址在哪", Facet.where_when),
        ("ask_service_info", "助浴要多少钱", Facet.fees),
        ("ask_service_info", "收费吗", Facet.fees),
        ("ask_service_info", "办下来要多久", Facet.time),
        ("ask_service_info", "大概几天能好", Facet.time),
        ("ask_service_info", "要多长时间", Facet.time),
        ("ask_service_info", "能不能在手机上办", Facet.online),
        ("ask_service_info", "网上可以申请吗", Facet.online),
        ("ask_service_info", "高龄津贴怎么办", Facet.how),
        ("ask_service_info", "办理流程是什么", Facet.how),
        ("ask_service_info", "嗯那个就是高龄经贴", Facet.overview),
        ("ask_service_info", "要带什么材料", Facet.documents),
        ("book_service", "我想预约助浴几点都行", Facet.overview),
        ("inform", "那在哪儿办呢", Facet.where_when),
    ],
)
def test_detect_facet(intent, text, facet):
    assert detect_facet(intent, text) is facet


def test_button_payload_and_entity_name_the_facet():
    assert detect_facet("ask_service_info", '/ask_service_info{"service":"x","facet":"fees"}') is Facet.fees
    assert detect_facet("ask_service_info", "随便", [{"entity": "facet", "value": "online"}]) is Facet.online
    nonsense = [{"entity": "facet", "value": "nonsense"}]
    assert detect_facet("ask_service_info", "在哪", nonsense) is Facet.where_when


@pytest.mark.parametrize(
    ("intent", "text", "pays", "facet"),
    [
        ("ask_service_info", "高龄津贴每个月能领多少钱", True, Facet.amount),
        ("ask_service_info", "高龄津贴每个月能领多少钱", False, Facet.amount),
        ("ask_service_info", "嗯那个高龄经贴一个月能领多少钱", True, Facet.amount),
        ("ask_service_info", "低保标准是多少", True, Facet.amount),
        ("ask_service_info", "居家养老补贴能补多少", True, Facet.amount),
        ("ask_eligibility", "我妈八十二能领多少", True, Facet.amount),
        ("ask_service_info", "高龄津贴多少钱", True, Facet.amount),      # a benefit: 多少钱 is what it pays
        ("ask_service_info", "助浴要多少钱", False, Facet.fees),          # a service: 多少钱 is its price
        ("ask_service_info", "助浴多少钱一次", False, Facet.fees),
        ("ask_service_info", "高龄津贴要钱吗", True, Facet.fees),
        ("ask_service_info", "办高龄津贴收费吗", True, Facet.fees),
        ("ask_service_info", "在食堂吃一顿多少钱", True, Facet.fees),
        ("ask_service_info", "多少天能到账", True, Facet.time),
        ("request_certificate", "居住证明要带什么", False, Facet.documents),
        ("request_certificate", "社区能开亲属关系证明吗", False, Facet.certificate),
    ],
)
def test_money_questions_tell_payments_from_fees(intent, text, pays, facet):
    assert detect_facet(intent, text, pays=pays) is facet
