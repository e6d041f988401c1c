"""Answers about a service, led by what the resident asked, short enough to read on a phone.

Like a well-informed community worker: "要带什么" is answered with the numbered documents, "在哪办" with
the place and hours, a certificate question first with whether the residents' committee still issues
it. Everything else is one tap away as a button whose payload is a Rasa-style intent
(`/ask_documents{"service":"elderly-allowance"}`), or one word away in the spoken prompts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.community import fill, render_service
from knowledge.facets import Facet
from knowledge.faqs import amount_faq
from knowledge.schema import CommunitySettings, Document, Faq, Service
from knowledge.speech import to_speech

Button = tuple[str, str]

MAX_BUTTONS = 6
MAX_BUTTONS_ELDERLY = 3

# Button title, and the word a listener says to hear that part.
_LABELS: dict[Facet, tuple[str, str]] = {
    Facet.documents: ("所需材料", "材料"),
    Facet.eligibility: ("申请条件", "条件"),
    Facet.where_when: ("地点和时间", "地点"),
    Facet.how: ("办理流程", "流程"),
    Facet.time: ("办理时限", "多久"),
    Facet.fees: ("收费情况", "费用"),
    Facet.amount: ("发放标准", "标准"),
    Facet.online: ("网上办理", "网上办"),
    Facet.certificate: ("能否开证明", "证明"),
}
_FACT_WORDS = {
    "age": "年龄", "hukou_local": "户口", "residence_local": "居住地", "disability_grade": "残疾等级",
    "low_income": "是否低保", "special_hardship": "是否特困", "child_age_months": "孩子月龄",
    "employed": "工作情况", "living_alone": "是否独居", "insured": "参保情况",
}


@dataclass
class Answer:
    """A reply: text for the screen, speech for a speech engine, buttons as (title, payload)."""

    text: str
    speech: str
    buttons: list[Button] = field(default_factory=list)


def payload(intent: str, **entities: str) -> str:
    """A Rasa-style button payload: `/INTENT{json entities}`."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def _facet_payload(facet: Facet, service_id: str) -> str:
    if facet is Facet.documents:
        return payload("ask_documents", service=service_id)
    if facet is Facet.eligibility:
        return payload("ask_eligibility", service=service_id)
    if facet is Facet.certificate:
        return payload("request_certificate", service=service_id)
    return payload("ask_service_info", service=service_id, facet=facet.value)


def _has(s: Service, facet: Facet) -> bool:
    return {
        Facet.amount: amount_faq(s) is not None,
        Facet.documents: bool(s.documents),
        Facet.how: bool(s.steps),
        Facet.time: bool(s.processing_time),
        Facet.online: bool(s.online),
        Facet.certificate: s.kind == "certificate" and s.certificate is not None,
    }.get(facet, True)


def _clause(text: str) -> str:
    """One spoken clause: no sentence breaks inside, no trailing stop."""
    return re.sub(r"[。！!；;\n]+", "，", text.strip()).strip("，。 ")


def _brief(text: str, *, asides: bool = False, limit: int = 40) -> str:
    """The first sentence of a text as one short spoken clause; bracketed asides dropped unless kept."""
    if not asides:
        text = re.sub(r"（[^）]*）|\([^)]*\)", "", text)
    first = _clause(re.split(r"(?<=[。！？!?；;\n])", text.strip(), maxsplit=1)[0])
    if len(first) <= limit:
        return first
    cut = first.rfind("，", 0, limit)
    return first[:cut] if cut > 0 else first


# A note that makes a document optional or needed only in some cases ("家属代办时带上", "有的话带上"):
# elderly mode keeps these, or a listener takes every line for a must and fetches papers for nothing.
_OPTIONAL_NOTE = re.compile(
    r"有的话|如有|没有也|时需要|时带上|时提供|时填写|的提供|的带上|的需要|部分地方|部分地区|可免交|免交|不需要|"
    r"不用带|可以不|可不|代办|选带|带上更稳妥|^如"
)


def optional(d: Document) -> bool:
    """Whether the document is needed only in some cases, as its note says."""
    return bool(d.notes and _OPTIONAL_NOTE.search(d.notes))


def _doc_line(d: Document, elderly: bool) -> str:
    if d.form == "电子版" and d.count == 1:
        count = ""
    else:
        count = f"各{d.count}份" if d.form == "原件和复印件" else f"{d.count}份"
    if elderly:
        note = f"，{_clause(d.notes)}" if optional(d) else ""
        return f"{d.name}{d.form}" + (count if d.count > 1 else "") + note
    return f"{d.name}（{d.form}{count}" + (f"；{d.notes}" if d.notes else "") + "）"


def _spoken_docs(s: Service) -> str:
    """The documents as one spoken sentence: the ones always needed, then each optional one with its note."""
    needed = [f"{d.name}{d.form}" for d in s.documents if not optional(d)]
    said = "、".join(needed[:5]) + (f"等{len(needed)}样" if len(needed) > 5 else "")
    extra = [f"{d.name}{d.form}，{_clause(d.notes)}" for d in s.documents if optional(d)][:2]
    if not needed:
        return f"办理{s.name}的材料看情况带：" + "；".join(extra) + "。"
    return f"办理{s.name}要带{said}" + "".join(f"；另外{e}" for e in extra) + "。"


def _request_line(s: Service, community: CommunitySettings) -> str:
    limits = community.deadlines.get(s.request.category) if s.request else None
    if limits and "ack" in limits and "done" in limits:
        ack, done = limits["ack"], limits["done"]
        return f"点“我要反映”，我帮您登记转给社区，一般 {ack} 小时内响应、{done} 小时内办结。"
    return "点“我要反映”，我帮您登记转给社区，会有工作人员跟进。"


def _lines(
    s: Service, facet: Facet, community: CommunitySettings, elderly: bool
) -> tuple[list[str], list[str]]:
    """The lead lines for a facet, and supporting lines that elderly mode leaves out."""
    title = f"「{s.name}」"
    place = [f"办理地点：{s.where}", f"办理时间：{s.hours}"]
    if facet is Facet.documents:
        if not s.documents:
            return [f"{title}没有列出需要准备的材料，去之前可以先打电话问一下窗口。"], place
        head = "要带这些：" if elderly else f"办理{title}需要带这些材料："
        docs = [f"{i}. {_doc_line(d, elderly)}" for i, d in enumerate(s.documents, 1)]
        return [head, *docs], place[:1]
    if facet is Facet.eligibility:
        extra = []
        if s.eligibility.conditions:
            facts = list(dict.fromkeys(_FACT_WORDS[c.fact] for c in s.eligibility.conditions))
            extra.append(f"想知道自己符不符合，告诉我{'、'.join(facts)}，我帮您看看。")
        return [f"{title}的申请条件：", s.eligibility.text], extra
    if facet is Facet.how:
        if not s.steps:
            return [f"{title}直接到窗口办理就行，工作人员会一步步指引您。"], place
        steps = [f"{i}. {step}" for i, step in enumerate(s.steps[:5], 1)]
        more = [f"（共 {len(s.steps)} 步，后面的到窗口会有人指引）"] if len(s.steps) > 5 else []
        return [f"{title}这样办：", *steps, *more], []
    if facet is Facet.where_when:
        online = [f"也可以网上办：{s.online}"] if s.online else []
        return [f"{title}办理地点：{s.where}", f"办理时间：{s.hours}"], online
    if facet is Facet.fees:
        fee = f"{title}不收费。" if s.fees.strip() == "免费" else f"{title}的费用：{s.fees}"
        return [fee], place[:1]
    if facet is Facet.amount:
        faq = amount_faq(s)
        if faq is None:
            paid = [] if s.fees.strip() == "免费" else [f"办理时的费用：{s.fees}"]
            return [f"{title}没有写明具体的发放或补贴标准，以窗口告知为准。", *paid], place
        return [f"{title}{_amount_head(faq)}{faq.a}"], place[:1]
    if facet is Facet.time:
        if not s.processing_time:
            return [f"{title}没有写明办理时限，具体以窗口告知为准。"], place
        return [f"{title}的办理时限：{s.processing_time}"], place[:1]
    if facet is Facet.online:
        if not s.online:
            return [f"{title}目前需要到现场办理。", *place], []
        return [f"{title}可以网上办：{s.online}"], place[:1]
    if facet is Facet.certificate and s.certificate is not None:
        cert = s.certificate
        where = [f"办理地点：{cert.where}"] if cert.where else []
        if not cert.issued_by_committee:
            kind = f"{title}现在已经不由社区居委会开具了，您不用专门跑居委会。"
            return [kind, cert.alternative, *where], []
        bring = "、".join(_doc_line(d, True) for d in s.documents)
        extra = ([f"要带：{bring}"] if bring else []) + ([cert.alternative] if cert.alternative else [])
        return [f"{title}可以由社区居委会开具。", *(where or place[:1])], extra
    lead = [f"{title}：{s.summary}"]
    if s.kind == "bookable":
        lead.append("可以直接在这里预约，点“预约办理”就行。")
    if s.kind == "request":
        lead.append(_request_line(s, community))
    return lead, place


def _amount_head(faq: Faq) -> str:
    """What joins the service name to an amount answer: 的发放标准，"""
    return "的标准：" if "标准" in faq.q else "能领多少："


def _spoken_lead(s: Service, facet: Facet) -> str:
    name = s.name
    place = re.sub(r"办理$", "", _brief(s.where, asides=True, limit=30))
    if facet is Facet.documents and s.documents:
        return _spoken_docs(s)
    if facet is Facet.amount and (faq := amount_faq(s)) is not None:
        return f"{name}{_amount_head(faq).rstrip('：')}，{_clause(faq.a)}。"
    if facet is Facet.eligibility:
        return f"{name}的申请条件是，{_brief(s.eligibility.text)}。"
    if facet is Facet.how and s.steps:
        first = f"第一步{_brief(s.steps[0], limit=24)}" + (
            f"，第二步{_brief(s.steps[1], limit=24)}" if len(s.steps) > 1 else "")
        return f"办理{name}，{first}。"
    if facet is Facet.fees:
        return f"{name}不收费。" if s.fees.strip() == "免费" else f"{name}的费用是{_brief(s.fees)}。"
    if facet is Facet.time and s.processing_time:
        return f"{name}的办理时限是{_brief(s.processing_time)}。"
    if facet is Facet.online and s.online:
        return f"{name}可以网上办，{_brief(s.online)}。"
    if facet is Facet.certificate and s.certificate is not None:
        if not s.certificate.issued_by_committee:
            return f"{name}现在不由居委会开具了，不用专门跑居委会。{_brief(s.certificate.alternative)}。"
        where = re.sub(r"办理$", "", _brief(s.certificate.where or s.where, asides=True, limit=30))
        return f"{name}可以由社区居委会开具，办理地点是{where}。"
    if facet in (Facet.where_when, Facet.how, Facet.time, Facet.online, Facet.documents):
        return f"{name}的办理地点是{place}，时间是{_brief(s.hours, asides=True)}。"
    return f"{name}，{_brief(s.summary)}。"


def _buttons(s: Service, facet: Facet, limit: int) -> tuple[list[Button], list[str]]:
    """Buttons for an action and the other facets, with the words a listener says for them."""
    buttons: list[Button] = []
    words: list[str] = []
    if s.kind == "bookable":
        buttons.append(("预约办理", payload("book_service", service=s.id)))
        words.append("要预约请说预约")
    if s.kind == "request":
        buttons.append(("我要反映", payload("file_request", service=s.id)))
        words.append("要反映问题请说反映")
    order = [Facet.certificate, Facet.documents, Facet.eligibility, Facet.amount, Facet.where_when, Facet.how,
             Facet.time, Facet.fees, Facet.online]
    if s.kind == "request":
        order.remove(Facet.eligibility)  # anyone may report a problem; "who may apply" would puzzle
    for other in order:
        if other is not facet and _has(s, other) and len(buttons) < limit:
            title, word = _LABELS[other]
            buttons.append((title, _facet_payload(other, s.id)))
            words.append(f"要听{title}请说{word}")
    return buttons[:limit], words


def render_answer(
    service: Service,
    facet: Facet,
    community: CommunitySettings,
    *,
    voice: bool = False,
    elderly: bool = False,
) -> Answer:
    """An answer about one service that leads with the facet asked, then offers the rest as buttons."""
    s = render_service(service, community)
    if facet is Facet.certificate and not _has(s, facet):
        facet = Facet.overview
    lead, extra = _lines(s, facet, community, elderly)
    text = "\n".join(lead if elderly else lead + extra)
    limit = MAX_BUTTONS_ELDERLY if (elderly or voice) else MAX_BUTTONS
    buttons, words = _buttons(s, facet, limit)
    prompt = "，".join(words[:2]) + "。" if words else ""
    return Answer(text=text, speech=to_speech(_spoken_lead(s, facet) + prompt), buttons=buttons)


def render_faq(
    service: Service,
    faq: Faq,
    community: CommunitySettings,
    *,
    voice: bool = False,
    elderly: bool = False,
) -> Answer:
    """The catalog's own answer to a question asked nearly word for word, then the other facets as buttons."""
    s = render_service(service, community)
    answer = fill(faq.a, community)
    limit = MAX_BUTTONS_ELDERLY if (elderly or voice) else MAX_BUTTONS
    buttons, words = _buttons(s, Facet.overview, limit)
    prompt = "，".join(words[:1]) + "。" if words else ""
    text = f"关于{s.name}：{answer}"
    return Answer(text=text, speech=to_speech(f"{s.name}，{answer}" + prompt), buttons=buttons)


def suggest_services(
    services: Sequence[Service],
    community: CommunitySettings,
    *,
    not_found: bool = False,
    elderly: bool = False,
) -> Answer:
    """When unsure: offer two or three candidate services and a way to a person."""
    picks = list(services[: 2 if elderly else 3])
    names = [fill(s.name, community) for s in picks]
    human = ("转人工", payload("request_human"))
    buttons = [(n, payload("ask_service_info", service=s.id)) for n, s in zip(names, picks, strict=True)]
    if not picks:
        text = "没有找到对应的服务。您可以换个说法再问一次，或者点“转人工”，由社区工作人员帮您。"
        speech = "没有找到对应的服务。您可以换个说法再问一次，或者说人工，转给社区工作人员。"
        return Answer(text=text, speech=to_speech(speech), buttons=[human])
    if not_found:
        head = "没有找到完全对应的服务。您是不是想问下面这几项？"
    else:
        head = "您想问的是下面哪一项？请点一下。"
    text = head + "\n也可以点“转人工”，由社区工作人员帮您。"
    asked = "，还是".join(names)
    lead = "没有找到完全对应的服务。" if not_found else ""
    speech = f"{lead}您是想问{asked}？请说出名称，或者说人工，转给社区工作人员。"
    return Answer(text=text, speech=to_speech(speech), buttons=[*buttons, human])
