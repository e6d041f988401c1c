"""Reaching people: a human on request, and the clarifying fallback (emergencies: actions.emergency)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import custom_speech, load_context
from actions.runtime import get_services, session_scope
from bot.backend.escalations import open_escalation
from bot.dialogue.payload import make_payload

INTENT_LABELS = {
    "ask_service_info": "问办事流程、地点时间",
    "ask_documents": "问要带什么材料",
    "ask_eligibility": "问能不能申请",
    "request_certificate": "开证明",
    "book_service": "预约服务",
    "cancel_booking": "取消预约",
    "reschedule_booking": "改预约时间",
    "file_request": "报修或投诉",
    "check_status": "查询办理进度",
    "rate_service": "评价服务",
    "volunteer_signup": "报名当志愿者",
    "request_human": "找工作人员",
    "emergency": "紧急求助",
}


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
        phone = f"，也可以打社区电话{hotline}" if hotline else ""
        text = f"好的，已为您转给社区工作人员，他们会在这里直接回复您，请稍候{phone}。"
        dispatcher.utter_message(text=text, json_message=custom_speech("好的，已为您转给社区工作人员，请稍候。"))
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
        options = [i for i in ranking if i in INTENT_LABELS][:3]
        buttons = []
        for intent in options:
            ents = dict(entities)
            if intent in ("ask_service_info", "ask_documents", "ask_eligibility", "request_certificate"):
                ents["q"] = text[:60]
            buttons.append({"title": INTENT_LABELS[intent], "payload": make_payload(intent, ents)})
        if not any(b["payload"].startswith("/request_human") for b in buttons):
            buttons.append({"title": "转人工", "payload": "/request_human"})
        dispatcher.utter_message(text="抱歉，我没太明白。您是想：", buttons=buttons)
        return [SlotSet("fallback_count", count)]
