"""Answers lead with the facet asked, stay short, and offer the rest as buttons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.answers import render_answer, suggest_services
from knowledge.facets import Facet
from knowledge.loader import load_catalog, load_communities

FIXTURES = Path(__file__).parent / "fixtures"
SYMBOLS = re.compile(r"[（）()【】\[\]「」{}<>*#•/:：|｜-]|https?")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(FIXTURES / "catalog")


@pytest.fixture(scope="module")
def community():
    return load_communities(FIXTURES / "communities")["test"]


def _answer(catalog, community, sid, facet, **kw):
    return render_answer(catalog.get(sid), facet, community, **kw)


def _payload_entities(payload: str) -> dict:
    return json.loads(payload[payload.index("{"):]) if "{" in payload else {}


# (service, facet, what the first line must say, what must follow)
LEADS = [
    ("elderly-allowance", Facet.documents, "需要带这些材料", "1. 老人身份证（原件1份）"),
    ("elderly-allowance", Facet.eligibility, "申请条件", "本地户籍、年满80周岁的老年人。"),
    ("elderly-allowance", Facet.how, "这样办", "1. 带齐材料到社区窗口申请"),
    ("elderly-allowance", Facet.where_when, "办理地点：测试社区党群服务中心", "办理时间：周一至周五 8:30"),
    ("elderly-allowance", Facet.fees, "不收费", "办理地点"),
    ("elderly-allowance", Facet.time, "办理时限：一般20个工作日内", "办理地点"),
    ("elderly-allowance", Facet.online, "可以网上办", "办理地点"),
    ("elderly-allowance", Facet.overview, "按月发给本地户籍80周岁以上老人的津贴", "办理地点"),
    ("bathing-assistance", Facet.fees, "费用：按服务机构公示价格收费", ""),
    ("bathing-assistance", Facet.overview, "护理员上门", "可以直接在这里预约"),
    ("home-repair", Facet.overview, "公共设施坏了", "2 小时内响应、72 小时内办结"),
    ("residence-certificate", Facet.certificate, "可以由社区居委会开具", "办理地点：测试社区党群服务中心"),
    ("legal-consultation", Facet.documents, "没有列出需要准备的材料", "办理地点"),
    ("legal-consultation", Facet.time, "没有写明办理时限", ""),
    ("legal-consultation", Facet.online, "目前需要到现场办理", ""),
]


@pytest.mark.parametrize(("sid", "facet", "lead", "then"), LEADS)
def test_answer_leads_with_the_facet_asked(catalog, community, sid, facet, lead, then):
    answer = _answer(catalog, community, sid, facet)
    first = answer.text.split("\n")[0]
    assert lead in first, answer.text
    assert then in answer.text
    assert "{" not in answer.text
    assert len(answer.text.split("\n")) <= 7


def test_documents_are_numbered_with_form_and_count(catalog, community):
    text = _answer(catalog, community, "elderly-allowance", Facet.documents).text
    assert "2. 户口簿（原件和复印件各1份）" in text
    assert "3. 老人本人的银行卡（原件1份；津贴打到这张卡上）" in text


def test_certificate_no_longer_issued_says_so_and_where_to_go(catalog, community):
    answer = _answer(catalog, community, "kinship-certificate", Facet.certificate)
    lines = answer.text.split("\n")
    assert "已经不由社区居委会开具" in lines[0] and "不用专门跑" in lines[0]
    assert "户口簿、结婚证" in lines[1]
    assert "测试路派出所户籍窗口" in answer.text
    assert "不由居委会开具" in answer.speech and "户口簿" in answer.speech


def test_certificate_facet_on_other_kinds_falls_back_to_overview(catalog, community):
    answer = _answer(catalog, community, "elderly-allowance", Facet.certificate)
    assert answer.text.startswith("「高龄津贴申领」：按月发给")


def test_buttons_offer_other_facets_with_rasa_payloads(catalog, community):
    answer = _answer(catalog, community, "elderly-allowance", Facet.documents)
    titles = [t for t, _ in answer.buttons]
    assert "所需材料" not in titles and "申请条件" in titles
    payloads = dict(answer.buttons)
    assert payloads["申请条件"] == '/ask_eligibility{"service":"elderly-allowance"}'
    assert payloads["地点和时间"] == '/ask_service_info{"service":"elderly-allowance","facet":"where_when"}'
    for _, p in answer.buttons:
        assert re.fullmatch(r"/[a-z_]+(\{.*\})?", p)
        assert _payload_entities(p)["service"] == "elderly-allowance"


def test_action_buttons_for_bookable_and_request(catalog, community):
    bookable = _answer(catalog, community, "bathing-assistance", Facet.overview)
    assert bookable.buttons[0] == ("预约办理", '/book_service{"service":"bathing-assistance"}')
    request = _answer(catalog, community, "home-repair", Facet.overview)
    assert request.buttons[0] == ("我要反映", '/file_request{"service":"home-repair"}')
    info = _answer(catalog, community, "elderly-allowance", Facet.overview)
    assert not any(p.startswith(("/book_service", "/file_request")) for _, p in info.buttons)


def test_buttons_only_for_facets_with_content(catalog, community):
    titles = [t for t, _ in _answer(catalog, community, "legal-consultation", Facet.overview).buttons]
    assert "所需材料" not in titles and "办理流程" not in titles and "网上办理" not in titles


def test_elderly_mode_is_shorter_with_at_most_three_buttons(catalog, community):
    normal = _answer(catalog, community, "elderly-allowance", Facet.documents)
    elderly = _answer(catalog, community, "elderly-allowance", Facet.documents, elderly=True)
    assert len(elderly.buttons) <= 3 < len(normal.buttons)
    assert len(elderly.text) < len(normal.text)
    assert "1. 老人身份证原件" in elderly.text and "（" not in elderly.text
    assert len(_answer(catalog, community, "bathing-assistance", Facet.how, voice=True).buttons) <= 3


@pytest.mark.parametrize("facet", list(Facet))
@pytest.mark.parametrize(
    "sid", ["elderly-allowance", "bathing-assistance", "kinship-certificate", "home-repair"]
)
def test_speech_is_short_clean_and_ends_with_prompts(catalog, community, sid, facet):
    speech = _answer(catalog, community, sid, facet, voice=True).speech
    assert not SYMBOLS.search(speech), speech
    assert 1 <= len(re.findall(r"[。？]", speech)) <= 3
    assert re.search(r"请说[^。]*。$", speech)


def test_speech_leads_with_the_key_information(catalog, community):
    speech = _answer(catalog, community, "elderly-allowance", Facet.documents).speech
    assert speech.startswith("办理高龄津贴申领要带老人身份证原件、户口簿原件和复印件")
    where = _answer(catalog, community, "elderly-allowance", Facet.where_when).speech
    assert where.startswith("高龄津贴申领的办理地点是测试社区党群服务中心") and "八点半到中午十二点" in where
    fees = _answer(catalog, community, "bathing-assistance", Facet.fees).speech
    assert "80到120元" in fees and "要预约请说预约" in fees


def test_suggest_services_offers_candidates_and_a_human(catalog, community):
    picks = [catalog.get("elderly-allowance"), catalog.get("disability-two-subsidies"),
             catalog.get("bathing-assistance"), catalog.get("home-repair")]
    answer = suggest_services(picks, community)
    assert [t for t, _ in answer.buttons] == ["高龄津贴申领", "残疾人两项补贴", "助浴上门服务", "转人工"]
    assert answer.buttons[-1][1] == "/request_human"
    assert answer.buttons[0][1] == '/ask_service_info{"service":"elderly-allowance"}'
    assert "没有找到" not in answer.text
    honest = suggest_services(picks, community, not_found=True, elderly=True)
    assert honest.text.startswith("没有找到完全对应的服务")
    assert len(honest.buttons) == 3 and honest.buttons[-1][0] == "转人工"
    assert "说人工" in honest.speech


def test_suggest_services_with_nothing_found(community):
    answer = suggest_services([], community, not_found=True)
    assert answer.buttons == [("转人工", "/request_human")]
    assert "换个说法" in answer.text


def test_amount_answer_gives_the_benefit_amount_not_the_fee(catalog, community):
    answer = _answer(catalog, community, "elderly-allowance", Facet.amount)
    assert "以当地标准为准" in answer.text and "不收费" not in answer.text
    assert "0571-88880000" in answer.text  # the FAQ's placeholder filled for the community
    assert "以当地标准为准" in answer.speech


def test_amount_answer_without_a_payment_says_so(catalog, community):
    answer = _answer(catalog, community, "bathing-assistance", Facet.amount)
    assert "没有写明具体的发放或补贴标准" in answer.text
    assert "按服务机构公示价格收费" in answer.text


def test_faq_answer_is_the_catalogs_own(catalog, community):
    from knowledge.answers import render_faq

    service = catalog.get("elderly-allowance")
    answer = render_faq(service, service.faqs[0], community, elderly=True)
    assert "以当地标准为准" in answer.text and "{" not in answer.text
    assert len(answer.buttons) <= 3
    assert "高龄津贴申领" in answer.speech


def test_elderly_mode_keeps_notes_that_make_a_document_optional(catalog, community):
    elderly = _answer(catalog, community, "residence-certificate", Facet.documents, elderly=True)
    assert "户口簿原件，有的话带上" in elderly.text
    assert "有的话带上" in elderly.speech
    normal = _answer(catalog, community, "residence-certificate", Facet.documents)
    assert "户口簿（原件1份；有的话带上）" in normal.text
    # A note that only explains a required document stays out of the short elderly list.
    allowance = _answer(catalog, community, "elderly-allowance", Facet.documents, elderly=True)
    assert "津贴打到这张卡上" not in allowance.text
