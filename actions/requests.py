"""接诉即办: filing a request as a numbered work order, with a response time the office can keep."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import hours as community_hours
from actions.common import ContactSlots, format_day, load_context, service_of
from actions.places import MAX_PLACE, clean_place, widen_entity
from actions.runtime import DomainEvent, get_services, report, session_scope
from bot.backend import bookings, workorders
from bot.backend.models import Resident
from bot.masking import mask_phone
from bot.nlu.normalize import strip_fillers
from knowledge.schema import CommunitySettings

# Words that say "I want to report something" without saying what: ask for the description then.
_GENERIC = re.compile(
    r"^(我要|我想|帮我|麻烦)?(报修|投诉|反映|反映问题|报个修|提建议|求助|建议|反映个问题|报事)(一下)?[。！!]?$"
)
_CATEGORY_WORDS = (
    ("安全隐患", ("隐患", "消防通道", "堵了通道", "电线", "飞线", "井盖", "高空抛物", "危险")),
    ("环境卫生", ("垃圾", "卫生", "臭", "脏", "污水", "老鼠", "蚊子", "蟑螂", "粪")),
    ("投诉", ("投诉", "噪音", "扰民", "吵", "不作为", "态度", "乱收费", "乱停", "占道", "违建", "油烟", "广场舞")),
    ("建议", ("建议", "希望", "能不能加", "能否增加", "最好")),
    ("求助", ("求助", "帮帮", "帮忙", "没人管", "独居", "困难")),
    ("维修", ("坏", "修", "漏", "不亮", "堵", "裂", "掉", "不通", "停水", "停电", "没水", "没电")),
)
REQUEST_SLOTS = ("description", "location", "phone", "category", "service", "confirmed")


def categorise(text: str, service_id: str | None) -> str:
    """The work-order category from the service named or the words used."""
    services = get_services()
    svc = services.catalog.get(service_id) if service_id else None
    if svc is not None and svc.request is not None:
        return svc.request.category
    for category, words in _CATEGORY_WORDS:
        if any(w in text for w in words):
            return category
    return "求助"


def location_example(community: CommunitySettings) -> str | None:
    """The community's own example of a place (三组老王家门前 in a village, 3号楼2单元楼道 in town)."""
    return community.values.get("location_example") or None


class ValidateRequestForm(ContactSlots, FormValidationAction):
    """Checks the description, place and contact of a request."""

    def name(self) -> str:
        return "validate_request_form"

    async def extract_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """The number the resident gave before, offered again: the summary reads it back before filing."""
        if tracker.get_slot("phone") or "phone" in tracker.slots_to_validate():
            return {}
        async with session_scope() as session:
            ctx = await load_context(session, tracker, get_services())
            resident = await session.get(Resident, ctx.resident_id)
            if resident is not None and resident.phone:
                return {"phone": resident.phone}
            booking = await bookings.latest_for_resident(session, ctx.resident_id)
            return {"phone": booking.phone} if booking is not None and booking.phone else {}

    async def validate_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        """A description that says what happened (not just "我要报修"), without the fillers of speech."""
        text = str(value or "").strip()
        if len(text) < 3 or _GENERIC.match(text):
            return {"description": None}
        said = strip_fillers(text).strip() or text
        service = tracker.get_slot("service")
        return {"description": said[:1000], "category": categorise(said, service)}

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """A place staff can find: the whole answer minus fillers, or a place named in a longer message."""
        text = str(value or "").strip()
        message = str(tracker.latest_message.get("text") or "")
        if text and text != message.strip().strip("。.！!，,"):
            # A location entity inside a longer message: 东门 of 东门垃圾站满了 is 东门垃圾站.
            text = widen_entity(message, text, tracker.latest_message.get("entities") or [])
        place = clean_place(text) if text else ""
        if len(place) < 2:
            services = get_services()
            example = location_example(services.community(tracker.get_slot("community")))
            if example:
                dispatcher.utter_message(response="utter_location_too_vague", location_example=example)
            else:
                dispatcher.utter_message(response="utter_location_too_vague_plain")
            return {"location": None}
        return {"location": place[:MAX_PLACE]}


class ActionAskRequestLocation(Action):
    """Asks where, with an example that fits the community (a village's 组 and 门前, a town's 楼栋)."""

    def name(self) -> str:
        return "action_ask_request_form_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        example = location_example(get_services().community(tracker.get_slot("community")))
        if example:
            dispatcher.utter_message(response="utter_ask_location", location_example=example)
        else:
            dispatcher.utter_message(response="utter_ask_location_plain")
        return []


def deadline_text(moment: dt.datetime, tz: str, today: dt.date) -> str:
    """今天12月11日（周五）16:00, as a promise is said."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{format_day(local.date(), today)}{local.strftime('%H:%M')}"


class ActionSubmitRequest(Action):
    """Confirms, then files the work order and says its number and when staff will respond."""

    def name(self) -> str:
        return "action_submit_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        description = str(tracker.get_slot("description"))
        category = tracker.get_slot("category") or categorise(description, tracker.get_slot("service"))
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_request_summary", description=description,
                                     location=tracker.get_slot("location"),
                                     phone_masked=mask_phone(tracker.get_slot("phone")))
            return []
        metadata = tracker.latest_message.get("metadata") or {}
        photos = metadata.get("photos") or ([metadata["photo"]] if metadata.get("photo") else [])
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            now = services.clock()
            hours = await community_hours.office_hours(session, ctx.community_id, ctx.community)
            service = service_of(services, tracker.get_slot("service"))
            order = await workorders.file_work_order(
                session, community_id=ctx.community_id, resident_id=ctx.resident_id,
                conversation_id=ctx.conversation.id, category=category, description=description,
                location=tracker.get_slot("location"), contact_phone=tracker.get_slot("phone"),
                service_id=service.id if service else None, deadlines=ctx.community.deadlines,
                local_day=services.local_now(ctx.community.code).date(),
                attachments=[{"type": "photo", "file_id": str(p)} for p in photos], now=now,
                hours=hours, on_duty_categories=ctx.community.on_duty_categories,
            )
            report(DomainEvent("work_order_filed", order.number))
            resident = await session.get(Resident, ctx.resident_id)
            if resident is not None and not resident.phone:
                resident.phone = tracker.get_slot("phone")
            today = services.local_now(ctx.community.code).date()
            tz = ctx.community.timezone
            promise = {"number": order.number, "ack_due": deadline_text(order.ack_due_at, tz, today),
                       "due": deadline_text(order.due_at, tz, today)}
            on_duty = order.urgent or category in ctx.community.on_duty_categories
            if on_duty:
                dispatcher.utter_message(response="utter_request_filed_on_duty", **promise)
            elif not hours.is_open(now):
                dispatcher.utter_message(response="utter_request_filed_after_hours",
                                         opening=deadline_text(hours.next_open(now), tz, today), **promise)
            else:
                dispatcher.utter_message(response="utter_request_filed", **promise)
        return [ActiveLoop(None), *[SlotSet(s, None) for s in REQUEST_SLOTS]]
