"""Reaching people: a human on request, emergencies, and the clarifying fallback."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import custom_speech, load_context
from actions.runtime import get_services, session_scope
from bot.backend.escalations import open_escalation
from bot.dialogue.payload import make_payload

# Immediate guidance by kind of danger; the first matching kind wins, so gas comes before fire.
GUIDANCE: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("gas", re.compile(r"煤气|燃气|天然气|液化气|漏气"),
     "请马上这样做：不要开关电灯和电器，不要点火、不要打电话在屋里；轻轻打开门窗通风，关掉燃气总阀；"
     "人先离开到室外，再拨打119或燃气公司抢修电话。"),
    ("fire", re.compile(r"着火|失火|起火|火灾|冒烟|烧起来"),
     "请立刻拨打119！用湿毛巾捂住口鼻，弯腰沿安全出口撤离，不要乘电梯；火势小可用灭火器，火大别逗留。"),
    ("medical", re.compile(r"晕倒|昏倒|昏迷|没有呼吸|不省人事|摔倒|倒地|心脏|抽搐|流血"),
     "请立刻拨打120！不要随意搬动摔倒的人；没有呼吸、没有反应时按120调度员的指导做心肺复苏。"),
    ("violence", re.compile(r"家暴|被打|打人|要打死|持刀|威胁"),
     "请先到安全的地方，立刻拨打110报警。需要临时庇护可以告诉我，社区会协助联系庇护救助。"),
    ("elevator", re.compile(r"电梯"),
     "请按电梯里的警铃或对讲求救，拨打电梯内张贴的救援电话或119；不要扒门、不要试图自己爬出。"),
    ("water", re.compile(r"溺水|掉.{0,3}水里|落水"),
     "请立刻拨打110和120！不会游泳不要下水，可以扔绳子、竹竿、救生圈等施救。"),
    ("crisis", re.compile(r"跳楼|轻生|想不开|不想活"),
     "请马上拨打110或120。如果是您自己难受，请先离开危险的地方，您并不孤单，社区工作人员马上联系您。"),
)
DEFAULT_GUIDANCE = "如有生命危险请立刻拨打110、119或120。"
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


class ActionEmergency(Action):
    """Gives safety guidance at once and raises an urgent escalation to staff."""

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        text = tracker.latest_message.get("text") or ""
        guidance = next((g for _, pattern, g in GUIDANCE if pattern.search(text)), DEFAULT_GUIDANCE)
        dispatcher.utter_message(text=guidance, json_message=custom_speech(guidance))
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            await open_escalation(session, ctx.conversation, "emergency", urgent=True, pause=False)
        dispatcher.utter_message(text="我已同时通知社区值班人员，他们会尽快联系您。请告诉我具体位置（几号楼几单元）。")
        return [SlotSet("requested_slot", None)]


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
