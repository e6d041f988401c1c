"""Answering from the catalog: the right service, the facet asked for, and eligibility step by step.

Before any of that, what must not be answered as usual: another resident's personal data, and requests
for a benefit or a proof that does not apply (declined kindly with the right path); and questions about
the community's own offices (hours, phone numbers), answered from the community's settings.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import service_of
from actions.office_answer import answer_office
from actions.runtime import ActionServices, get_services
from knowledge.answers import Answer, render_answer, render_faq, suggest_services
from knowledge.community import render_service
from knowledge.declines import decline_for, mentions_death
from knowledge.eligibility import assess, extract_facts
from knowledge.facets import Facet, detect_facet
from knowledge.faqs import amount_faq, match_faq
from knowledge.offices import office_question
from knowledge.privacy import others_data_kind
from knowledge.schema import CommunitySettings, Service
from knowledge.speech import to_speech

# A follow-up like "那要带什么" names no service: short questions keep talking about the last one.
_FOLLOW_UP_MAX_CHARS = 14
_HUMAN = {"title": "转人工", "payload": "/request_human"}
_DECLINE_RESPONSES = {"proof_not_resident": "utter_decline_proof_not_resident",
                      "false_claim": "utter_decline_false_claim"}
# The benefit a deceased person's relatives ask to keep, said the way people name it.
_BENEFIT_SUFFIXES = ("申领", "申请", "办理", "发放")


def _send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons = [{"title": t, "payload": p} for t, p in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons, json_message={"speech": answer.speech})


def _mode(tracker: Tracker) -> tuple[bool, bool]:
    voice = tracker.get_slot("channel") == "voice"
    return voice, bool(tracker.get_slot("elderly")) or voice


def _text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


# A question with no subject at all: only question words, fillers and pronouns (咋弄, 这个怎么办啊).
_NO_SUBJECT = re.compile(
    r"(?:咋|怎么|怎样|如何|弄|办|整|搞|做|啥|什么|嗯|啊|呢|吗|呀|哦|那个|这个|的|了|我|你|该|要|能)*")


def resolve_service(services: ActionServices, tracker: Tracker) -> tuple[Service | None, list[Service], bool]:
    """The service asked about, candidates when unsure, and whether the search found nothing at all."""
    entities = tracker.latest_message.get("entities") or []
    for e in entities:
        if e.get("entity") == "service" and (svc := service_of(services, e.get("value"))) is not None:
            return svc, [], False
    text = _text(tracker)
    query = next((str(e["value"]) for e in entities if e.get("entity") == "q"), text)
    last = service_of(services, tracker.get_slot("last_service"))
    if services.retriever is None or query.startswith("/"):
        return (last, [], False) if last else (None, [], True)
    if _NO_SUBJECT.fullmatch(re.sub(r"[\W_]+", "", query)) and last is None:
        return None, [], True  # 咋弄, 怎么办: nothing to search for; services the index happens to rank are noise
    result = services.retriever.search(query, k=3)
    candidates = [s for h in result.hits if (s := services.catalog.get(h.service_id)) is not None]
    if result.confident and candidates:
        return candidates[0], [], False
    if last is not None and len(query) <= _FOLLOW_UP_MAX_CHARS:
        return last, [], False
    return None, candidates, not candidates or (result.top is not None and result.top.score < 0.2)


def decline_private(dispatcher: CollectingDispatcher, text: str) -> bool:
    """Decline a request for another resident's personal data; True when the message was one."""
    kind = others_data_kind(text)
    if kind is None:
        return False
    dispatcher.utter_message(response="utter_complainant_private" if kind == "complainant"
                             else "utter_private_data_declined")
    return True


def _is_benefit(service: Service | None) -> bool:
    """An allowance, subsidy or assistance paid to a person (what stops on death), not a bookable service."""
    return service is not None and service.kind == "info" and service.domain in ("养老", "救助", "助残")


def _say_deceased(dispatcher: CollectingDispatcher, service: Service | None) -> None:
    """The allowance stops on death: say so, with what the family does instead."""
    if service is not None and _is_benefit(service):
        dispatcher.utter_message(response="utter_decline_deceased_benefit", benefit=_benefit_name(service))
    else:
        dispatcher.utter_message(response="utter_decline_deceased_benefits")


def _benefit_name(service: Service) -> str:
    name = service.name
    for suffix in _BENEFIT_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def decline_unsafe(dispatcher: CollectingDispatcher, tracker: Tracker, services: ActionServices) -> list[Any] | None:
    """Decline a request for a benefit or a proof that does not apply; the events, or None when it is not one."""
    text = _text(tracker)
    died = mentions_death(text)
    decline = decline_for(text, deceased_known=bool(tracker.get_slot("deceased")))
    if decline is None:
        return None
    events: list[Any] = [SlotSet("eligibility", None)]
    if died:
        events.append(SlotSet("deceased", True))
    if decline.kind == "deceased_benefit":
        service, _, _ = resolve_service(services, tracker)
        _say_deceased(dispatcher, service)
    else:
        dispatcher.utter_message(response=_DECLINE_RESPONSES[decline.kind])
    return events


class ActionAnswerCatalog(Action):
    """Answers a question about a service, leading with what was asked."""

    def name(self) -> str:
        return "action_answer_catalog"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        text = _text(tracker)
        if decline_private(dispatcher, text):
            return [SlotSet("eligibility", None)]
        declined = decline_unsafe(dispatcher, tracker, services)
        if declined is not None:
            return declined
        community = services.community(tracker.get_slot("community"))
        voice, elderly = _mode(tracker)
        events: list[Any] = [SlotSet("deceased", True)] if mentions_death(text) else []
        office = office_question(text) if not text.startswith("/") else None
        if office is not None:
            answer_office(dispatcher, office, community, services.local_now(community.code).date(), domain)
            return events
        service, candidates, nothing = resolve_service(services, tracker)
        if service is None:
            _send(dispatcher, suggest_services(candidates, community, not_found=nothing, elderly=elderly))
            # Not understood as a service either: a second miss in a row offers a human (see action_clarify).
            fallbacks = int(tracker.get_slot("fallback_count") or 0) + 1
            return [*events, SlotSet("fallback_count", fallbacks)]
        events.append(SlotSet("last_service", service.id))
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        faq = match_faq(service, text) if not text.startswith("/") else None
        if faq is not None:
            _send(dispatcher, render_faq(service, faq, community, voice=voice, elderly=elderly))
            return events
        pays = amount_faq(service) is not None
        facet = detect_facet(intent, text, tracker.latest_message.get("entities"), pays=pays)
        if facet is Facet.eligibility and service.eligibility.conditions:
            return events + ask_or_judge(dispatcher, tracker, service, community, {}, voice, elderly)
        _send(dispatcher, render_answer(service, facet, community, voice=voice, elderly=elderly))
        return events


def ask_or_judge(
    dispatcher: CollectingDispatcher, tracker: Tracker, service: Service, community: CommunitySettings,
    known: dict[str, Any], voice: bool, elderly: bool, pending: str | None = None, question: str | None = None,
) -> list[Any]:
    """Use the facts already said; ask for the next missing one, or give the verdict with its reason."""
    text = _text(tracker)
    # The question matters for a bare "是的": to "您现在是没有工作的状态吗？" it means *not* employed.
    said = extract_facts(text, tracker.latest_message.get("entities") or [], pending, question=question,
                         today=get_services().local_now(community.code).date())
    facts = {**known, **said}
    rendered = render_service(service, community)
    verdict = assess(rendered, facts)
    if verdict.status == "unknown" and verdict.question:
        first = not known and pending is None
        dispatcher.utter_message(response="utter_eligibility_ask_first" if first else "utter_eligibility_ask",
                                 service_name=service.name, question=verdict.question,
                                 buttons=[_HUMAN] if elderly else [])
        return [SlotSet("eligibility", {"service": service.id, "facts": facts, "pending": verdict.next_fact,
                                        "question": verdict.question})]
    answer = render_answer(service, Facet.eligibility, community, voice=voice, elderly=elderly)
    text_out = verdict.text or "；".join(verdict.reasons)
    buttons = [{"title": t, "payload": p} for t, p in answer.buttons]
    dispatcher.utter_message(text=text_out, buttons=buttons,
                             json_message={"speech": verdict.speech or to_speech(text_out)})
    return [SlotSet("eligibility", None)]


class ActionAnswerEligibility(Action):
    """Takes the answer to the pending eligibility question and continues."""

    def name(self) -> str:
        return "action_answer_eligibility"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        state = tracker.get_slot("eligibility") or {}
        service = services.catalog.get(str(state.get("service")))
        if service is None:
            return [SlotSet("eligibility", None)]
        text = _text(tracker)
        if decline_private(dispatcher, text):
            return [SlotSet("eligibility", None)]
        if state.get("pending") == "age" and mentions_death(text) and _is_benefit(service):
            # "他去年已经走了" to "老人今年多大年纪了？": the benefit stops on death, whatever the age.
            _say_deceased(dispatcher, service)
            return [SlotSet("eligibility", None), SlotSet("deceased", True)]
        declined = decline_unsafe(dispatcher, tracker, services)
        if declined is not None:
            return declined
        community = services.community(tracker.get_slot("community"))
        voice, elderly = _mode(tracker)
        return ask_or_judge(dispatcher, tracker, service, community, dict(state.get("facts") or {}),
                            voice, elderly, pending=state.get("pending"), question=state.get("question"))


class ActionDeclinePrivateData(Action):
    """Declines a request for another resident's personal data and offers to pass a message via staff.

    The policy runs it when `knowledge.privacy.asks_for_others_data` is true, whatever the intent.
    """

    def name(self) -> str:
        return "action_decline_private_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        if not decline_private(dispatcher, _text(tracker)):
            dispatcher.utter_message(response="utter_private_data_declined")
        return []
