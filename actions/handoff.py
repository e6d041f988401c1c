"""Reaching people: a human on request, and the clarifying fallback (emergencies: actions.emergency)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import load_context, phrase
from actions.runtime import get_services, session_scope
from bot.backend.escalations import open_escalation
from bot.nlu.payload import make_payload

# Intents a clarification may offer, each named by its `utter_intent_label_<intent>` response.
OFFERABLE = (
    "ask_service_info", "ask_documents", "ask_eligibility", "request_certificate", "book_service",
    "cancel_booking", "reschedule_booking", "file_request", "check_status", "rate_service",
    "volunteer_signup", "request_human", "emergency",
)


class ActionRequestHuman(Action):
    """Hands the conversation to staff of the resident's community; the assistant then stays quiet."""

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            await open_escalation(session, ctx.conversation, "requested")
            hotline = ctx.community.values.get("service_center_phone", "")
        if hotline:
            dispatcher.utter_message(response="utter_handed_to_staff_with_phone", phone=hotline)
        else:
            dispatcher.utter_message(response="utter_handed_to_staff")
        return []


class ActionClarify(Action):
    """Low confidence: offer the likeliest meanings as buttons; the second time, offer a human."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= 2:
            dispatcher.utter_message(response="utter_offer_human")
            return [SlotSet("fallback_count", 0)]
        text = tracker.latest_message.get("text") or ""
        entities = {e["entity"]: e["value"] for e in tracker.latest_message.get("entities") or []}
        ranking = [r["name"] for r in tracker.latest_message.get("intent_ranking") or []]
        options = [i for i in ranking if i in OFFERABLE][:3]
        buttons = []
        for intent in options:
            ents = dict(entities)
            if intent in ("ask_service_info", "ask_documents", "ask_eligibility", "request_certificate"):
                ents["q"] = text[:60]
            buttons.append({"title": phrase(domain, f"utter_intent_label_{intent}"),
                            "payload": make_payload(intent, ents)})
        if not any(b["payload"].startswith("/request_human") for b in buttons):
            buttons.append({"title": phrase(domain, "utter_intent_label_request_human"), "payload": "/request_human"})
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return [SlotSet("fallback_count", count)]
