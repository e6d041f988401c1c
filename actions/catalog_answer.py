"""Answering from the catalog: the right service, the facet asked for, and eligibility step by step."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import service_of
from actions.runtime import ActionServices, get_services
from knowledge.answers import Answer, render_answer, suggest_services
from knowledge.community import render_service
from knowledge.eligibility import assess, extract_facts
from knowledge.facets import Facet, detect_facet
from knowledge.schema import CommunitySettings, Service

# A follow-up like "那要带什么" names no service: short questions keep talking about the last one.
_FOLLOW_UP_MAX_CHARS = 14


def _send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    buttons = [{"title": t, "payload": p} for t, p in answer.buttons]
    dispatcher.utter_message(text=answer.text, buttons=buttons, json_message={"speech": answer.speech})


def _mode(tracker: Tracker) -> tuple[bool, bool]:
    voice = tracker.get_slot("channel") == "voice"
    return voice, bool(tracker.get_slot("elderly")) or voice


def resolve_service(services: ActionServices, tracker: Tracker) -> tuple[Service | None, list[Service], bool]:
    """The service asked about, candidates when unsure, and whether the search found nothing at all."""
    entities = tracker.latest_message.get("entities") or []
    for e in entities:
        if e.get("entity") == "service" and (svc := service_of(services, e.get("value"))) is not None:
            return svc, [], False
    text = tracker.latest_message.get("text") or ""
    query = next((str(e["value"]) for e in entities if e.get("entity") == "q"), text)
    last = service_of(services, tracker.get_slot("last_service"))
    if services.retriever is None or query.startswith("/"):
        return (last, [], False) if last else (None, [], True)
    result = services.retriever.search(query, k=3)
    candidates = [s for h in result.hits if (s := services.catalog.get(h.service_id)) is not None]
    if result.confident and candidates:
        return candidates[0], [], False
    if last is not None and len(query) <= _FOLLOW_UP_MAX_CHARS:
        return last, [], False
    return None, candidates, not candidates or (result.top is not None and result.top.score < 0.2)


class ActionAnswerCatalog(Action):
    """Answers a question about a service, leading with what was asked."""

    def name(self) -> str:
        return "action_answer_catalog"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        community = services.community(tracker.get_slot("community"))
        voice, elderly = _mode(tracker)
        service, candidates, nothing = resolve_service(services, tracker)
        if service is None:
            _send(dispatcher, suggest_services(candidates, community, not_found=nothing, elderly=elderly))
            return []
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        text = tracker.latest_message.get("text") or ""
        facet = detect_facet(intent, text, tracker.latest_message.get("entities"))
        events: list[Any] = [SlotSet("last_service", service.id)]
        if facet is Facet.eligibility and service.eligibility.conditions:
            return events + ask_or_judge(dispatcher, tracker, service, community, {}, voice, elderly)
        _send(dispatcher, render_answer(service, facet, community, voice=voice, elderly=elderly))
        return events


def ask_or_judge(
    dispatcher: CollectingDispatcher, tracker: Tracker, service: Service, community: CommunitySettings,
    known: dict[str, Any], voice: bool, elderly: bool, pending: str | None = None, question: str | None = None,
) -> list[Any]:
    """Use the facts already said; ask for the next missing one, or give the verdict with its reason."""
    text = tracker.latest_message.get("text") or ""
    # The question matters for a bare "是的": to "您现在是没有工作的状态吗？" it means *not* employed.
    said = extract_facts(text, tracker.latest_message.get("entities") or [], pending, question=question)
    facts = {**known, **said}
    verdict = assess(render_service(service, community), facts)
    if verdict.status == "unknown" and verdict.question:
        lead = f"关于{service.name}，" if not known and pending is None else ""
        dispatcher.utter_message(text=lead + verdict.question, json_message={"speech": lead + verdict.question},
                                 buttons=[{"title": "转人工", "payload": "/request_human"}] if elderly else [])
        return [SlotSet("eligibility", {"service": service.id, "facts": facts, "pending": verdict.next_fact,
                                        "question": verdict.question})]
    answer = render_answer(service, Facet.eligibility, community, voice=voice, elderly=elderly)
    text_out = verdict.text or "；".join(verdict.reasons)
    buttons = [{"title": t, "payload": p} for t, p in answer.buttons]
    dispatcher.utter_message(text=text_out, buttons=buttons, json_message={"speech": text_out})
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
        community = services.community(tracker.get_slot("community"))
        voice, elderly = _mode(tracker)
        return ask_or_judge(dispatcher, tracker, service, community, dict(state.get("facts") or {}),
                            voice, elderly, pending=state.get("pending"), question=state.get("question"))
