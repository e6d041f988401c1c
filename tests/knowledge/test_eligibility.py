"""The eligibility dialogue's logic: ask only what is missing, use what was said, give reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.eligibility import FINAL_WORD, assess, describe, extract_facts
from knowledge.loader import load_catalog

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(FIXTURES / "catalog")


def test_asks_for_facts_in_condition_order_one_at_a_time(catalog):
    service = catalog.get("elderly-allowance")
    first = assess(service, {})
    assert (first.status, first.next_fact, first.question) == ("unknown", "age", "老人今年多大年纪了？")
    second = assess(service, {"age": 85})
    assert (second.status, second.next_fact) == ("unknown", "hukou_local")
    assert second.question == "老人的户口在本地吗？"


def test_uses_facts_already_given(catalog):
    service = catalog.get("elderly-allowance")
    facts = extract_facts("我妈今年八十二了，本地户口", [])
    verdict = assess(service, facts)
    assert verdict.status == "eligible" and verdict.next_fact is None
    assert verdict.reasons == ["年满80周岁", "本地户籍"]
    assert "符合「高龄津贴申领」的条件：年满80周岁；本地户籍" in verdict.text
    assert verdict.text.endswith(FINAL_WORD)


def test_known_failure_ends_the_dialogue_without_more_questions(catalog):
    verdict = assess(catalog.get("elderly-allowance"), {"age": 75})
    assert verdict.status == "ineligible" and verdict.next_fact is None
    assert verdict.reasons == ["老人还没满80周岁"]
    assert "暂时不符合" in verdict.text and "老人还没满80周岁" in verdict.text
    assert verdict.text.endswith("最终以窗口审核为准。")


def test_any_mode_needs_one_condition(catalog):
    service = catalog.get("disability-two-subsidies")
    assert assess(service, {}).next_fact == "low_income"
    assert assess(service, {"disability_grade": 1}).status == "eligible"
    assert assess(service, {"low_income": False}).next_fact == "disability_grade"
    no = assess(service, {"low_income": False, "disability_grade": 3})
    assert no.status == "ineligible" and len(no.reasons) == 2


def test_no_disability_certificate_is_not_a_low_grade(catalog):
    from knowledge.schema import Condition

    c = Condition(fact="disability_grade", op="<=", value=2, question="q", fail_reason="f")
    service = catalog.get("disability-two-subsidies").model_copy(deep=True)
    service.eligibility.conditions = [c]
    assert assess(service, {"disability_grade": 0}).status == "ineligible"
    assert assess(service, {"disability_grade": 2}).status == "eligible"
    assert describe(c) == "持有一级或二级残疾人证"


def test_several_conditions_on_one_fact_ask_once(catalog):
    service = catalog.get("childcare-service")
    facts = extract_facts("我们就住这个小区里，孩子两岁半", [])
    assert facts == {"residence_local": True, "child_age_months": 30}
    assert assess(service, facts).status == "eligible"
    assert assess(service, {"residence_local": True}).next_fact == "child_age_months"
    old = assess(service, {"residence_local": True, "child_age_months": 40})
    assert old.reasons == ["孩子已经超过3周岁，可以考虑幼儿园"]


def test_service_without_conditions_gives_the_text(catalog):
    verdict = assess(catalog.get("legal-consultation"), {"age": 30})
    assert verdict.status == "unknown" and verdict.next_fact is None
    assert "本社区居民" in verdict.text and verdict.text.endswith(FINAL_WORD)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我妈今年八十二", {"age": 82}),
        ("老人都九十多了", {"age": 90}),
        ("我今年65岁", {"age": 65}),
        ("本地户口", {"hukou_local": True}),
        ("户口不在这", {"hukou_local": False}),
        ("外地户口，住在这", {"hukou_local": False, "residence_local": True}),
        ("残疾二级", {"disability_grade": 2}),
        ("他是三级肢体残疾", {"disability_grade": 3}),
        ("低保户", {"low_income": True}),
        ("我们不是低保户", {"low_income": False}),
        ("孩子两岁半", {"child_age_months": 30}),
        ("宝宝18个月", {"child_age_months": 18}),
        ("孩子一岁零三个月", {"child_age_months": 15}),
        ("独居", {"living_alone": True}),
        ("我爸一个人住", {"living_alone": True}),
        ("跟儿子一起住", {"living_alone": False}),
        ("没工作", {"employed": False}),
        ("失业了", {"employed": False}),
        ("在上班", {"employed": True}),
        ("医保交了", {}),
        ("交了医保", {"insured": True}),
        ("我想问问高龄津贴", {}),
    ],
)
def test_extract_facts(text, expected):
    assert extract_facts(text, []) == expected


def test_birth_year_gives_age():
    assert extract_facts("1940年出生的", [], today=dt.date(2026, 3, 1)) == {"age": 86}


@pytest.mark.parametrize(
    ("text", "pending", "expected"),
    [
        ("是的", "hukou_local", {"hukou_local": True}),
        ("嗯嗯对", "hukou_local", {"hukou_local": True}),
        ("不是", "hukou_local", {"hukou_local": False}),
        ("有", "insured", {"insured": True}),
        ("没有", "employed", {"employed": False}),
        ("没错", "living_alone", {"living_alone": True}),
        ("不知道", "living_alone", {}),
        ("八十二", "age", {"age": 82}),
        ("82", "age", {"age": 82}),
        ("二级", "disability_grade", {"disability_grade": 2}),
        ("没有", "disability_grade", {"disability_grade": 0}),
        ("两岁", "child_age_months", {"child_age_months": 24}),
        ("20个月", "child_age_months", {"child_age_months": 20}),
        ("户口在老家", "hukou_local", {"hukou_local": False}),
    ],
)
def test_answers_to_the_pending_question(text, pending, expected):
    assert extract_facts(text, [], pending_fact=pending) == expected


@pytest.mark.parametrize(
    ("question", "reply", "employed"),
    [
        ("您现在是没有工作的状态吗？", "是的", False),
        ("您现在是没有工作的状态吗？", "不是", True),
        ("现在有工作吗？", "有", True),
        ("现在有没有工作？", "没有", False),
    ],
)
def test_yes_no_is_read_against_the_question(question, reply, employed):
    facts = extract_facts(reply, [], pending_fact="employed", question=question)
    assert facts == {"employed": employed}


def test_yes_no_only_counts_for_the_pending_fact():
    assert extract_facts("是的", []) == {}


def test_age_entity_is_used():
    assert extract_facts("那个多大都行", [{"entity": "age", "value": 83}]) == {"age": 83}


PREFIXES = st.sampled_from(["我", "我妈", "老人", "我父亲", "我奶奶", "嗯那个我爸"])


@given(PREFIXES, st.integers(min_value=10, max_value=110), st.booleans())
def test_any_stated_age_is_found(prefix, age, chinese):
    number = cn2an.an2cn(age) if chinese else str(age)
    assert extract_facts(f"{prefix}今年{number}岁了", [])["age"] == age


@given(st.integers(min_value=1, max_value=5), st.booleans())
def test_any_child_age_is_found_in_months(years, half):
    text = f"孩子{cn2an.an2cn(years)}岁" + ("半" if half else "")
    assert extract_facts(text, []) == {"child_age_months": years * 12 + (6 if half else 0)}


PENDING = st.sampled_from([None, "age", "hukou_local", "disability_grade", "child_age_months"])


@given(st.text(max_size=200), PENDING)
def test_extract_facts_never_fails_and_types_are_right(text, pending):
    facts = extract_facts(text, [], pending_fact=pending)
    for key, value in facts.items():
        if key in ("age", "disability_grade", "child_age_months"):
            assert isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            assert isinstance(value, bool)
    if "age" in facts:
        assert 0 < facts["age"] <= 120
    if "disability_grade" in facts:
        assert 0 <= facts["disability_grade"] <= 4


def test_part_of_a_rule_met_is_not_called_eligible(catalog):
    from knowledge.schema import Condition

    service = catalog.get("bathing-assistance").model_copy(deep=True)
    service.eligibility.text = "60周岁以上行动不便的老年人。"
    service.eligibility.conditions = [
        Condition(fact="age", op=">=", value=60, question="多大年纪？", fail_reason="还没满60周岁")]
    verdict = assess(service, {"age": 62})
    assert verdict.status == "eligible"
    assert "这一条符合" in verdict.text and "行动不便" in verdict.text
    assert "符合「" + service.name + "」的条件" not in verdict.text
    assert "行动不便" in verdict.speech and "「" not in verdict.speech


def test_thresholds_may_come_from_the_community(catalog):
    from knowledge.community import render_service
    from knowledge.schema import CommunitySettings

    service = catalog.get("elderly-allowance").model_copy(deep=True)
    service.eligibility.conditions[0].value = "{elderly_allowance_age}"
    service.eligibility.conditions[0].fail_reason = "本社区从{elderly_allowance_age}周岁起发放"

    def community(age: str) -> CommunitySettings:
        return CommunitySettings(code="x", name="x", address="x", values={"elderly_allowance_age": age})

    at_75 = render_service(service, community("75"))
    assert assess(at_75, {"age": 77, "hukou_local": True}).status == "eligible"
    at_80 = render_service(service, community("80"))
    verdict = assess(at_80, {"age": 77})
    assert verdict.status == "ineligible" and "本社区从80周岁起发放" in verdict.text
    # A value that is not a number is not judged against: the question moves on to what can be checked.
    unusable = render_service(service, community("待定"))
    assert assess(unusable, {"age": 77}).next_fact == "hukou_local"
