"""接诉即办: filing a request as a numbered work order, and checking its progress."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import CONFIRM_BUTTONS
from actions.common import ContactSlots, format_clock, format_day, load_context, mask_phone, service_of
from actions.runtime import get_services, session_scope
from bot.backend import bookings, workorders
from bot.backend.models import Resident

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
_STATUS_HINT = {
    "待受理": "工作人员会尽快受理",
    "已受理": "已经安排专人负责",
    "处理中": "正在处理",
    "已办结": "已经办结",
    "已关闭": "已关闭",
}


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


class ValidateRequestForm(ContactSlots, FormValidationAction):
    """Checks the description, place and contact of a request."""

    def name(self) -> str:
        return "validate_request_form"

    async def validate_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        """A description that says what happened (not just "我要报修")."""
        text = str(value or "").strip()
        if len(text) < 3 or _GENERIC.match(text):
            return {"description": None}
        service = tracker.get_slot("service")
        return {"description": text[:1000], "category": categorise(text, service)}

    async def validate_location(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """A place staff can find."""
        text = str(value or "").strip()
        if len(text) < 2:
            dispatcher.utter_message(text="请说具体一点，比如“5号楼3单元楼道”或“小区东门”。")
            return {"location": None}
        return {"location": text[:200]}


def _deadline_text(moment: dt.datetime, tz: str, today: dt.date) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    return f"{format_day(local.date(), today)}{local.strftime('%H:%M')}前"


class ActionSubmitRequest(Action):
    """Confirms, then files the work order and says its number and when to expect a response."""

    def name(self) -> str:
        return "action_submit_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        description = str(tracker.get_slot("description"))
        category = tracker.get_slot("category") or categorise(description, tracker.get_slot("service"))
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(
                text=f"请核对：\n事项：{description}\n地点：{tracker.get_slot('location')}\n"
                     f"联系电话：{mask_phone(tracker.get_slot('phone'))}\n确认提交吗？",
                buttons=CONFIRM_BUTTONS,
            )
            return []
        metadata = tracker.latest_message.get("metadata") or {}
        photos = metadata.get("photos") or ([metadata["photo"]] if metadata.get("photo") else [])
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            now = services.clock()
            order = await workorders.file_work_order(
                session, community_id=ctx.community_id, resident_id=ctx.resident_id,
                conversation_id=ctx.conversation.id, category=category, description=description,
                location=tracker.get_slot("location"), contact_phone=tracker.get_slot("phone"),
                service_id=service.id if (service := service_of(services, tracker.get_slot("service"))) else None,
                deadlines=ctx.community.deadlines, local_day=services.local_now(ctx.community.code).date(),
                attachments=[{"type": "photo", "file_id": str(p)} for p in photos], now=now,
            )
            resident = await session.get(Resident, ctx.resident_id)
            if resident is not None and not resident.phone:
                resident.phone = tracker.get_slot("phone")
            today = services.local_now(ctx.community.code).date()
            tz = ctx.community.timezone
            dispatcher.utter_message(
                text=f"已为您登记，工单号：{order.number}。\n工作人员会在{_deadline_text(order.ack_due_at, tz, today)}"
                     f"联系您，{_deadline_text(order.due_at, tz, today)}处理完。\n想知道进度，随时发工单号问我。"
            )
        return [ActiveLoop(None), *[SlotSet(s, None) for s in REQUEST_SLOTS]]


# Words that say the number is a work order's (报修、投诉), not a booking's.
_ORDER_WORDS = re.compile(r"工单|报修|报的修|投诉|反映")


class ActionCheckStatus(Action):
    """Tells the status of a work order or booking, by number or the resident's latest."""

    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        number = next(tracker.get_latest_entity_values("ticket_id"), None) or ""
        number = str(number).strip().upper()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            tz = ctx.community.timezone
            today = services.local_now(ctx.community.code).date()
            text = tracker.latest_message.get("text") or ""
            said_booking = "预约" in text
            said_order = bool(_ORDER_WORDS.search(text))
            booking = None
            if number.startswith("YY") or (said_booking and not said_order and not number.startswith("GD")):
                booking = (await bookings.find_for_resident(session, ctx.resident_id, number) if number
                           else await bookings.latest_for_resident(session, ctx.resident_id))
                if booking is None:
                    dispatcher.utter_message(text=f"没有查到您名下的预约{number}，请核对一下编号。")
                    return []
            elif number and not number.startswith("GD") and not said_order:
                # Part of a number, or one without its letters: a booking of theirs, else a work order.
                booking = await bookings.find_for_resident(session, ctx.resident_id, number)
            if booking is not None:
                svc = services.catalog.get(booking.service_id)
                start = booking.slot.start_at
                day = start.astimezone(ZoneInfo(tz)).date()
                dispatcher.utter_message(
                    text=f"预约{booking.number}：{svc.name if svc else booking.service_id}，"
                         f"{format_day(day, today)} {format_clock(start, tz)}，"
                         f"{booking.people}位，状态：{booking.status}。"
                )
                return []
            order = (await workorders.find_for_resident(session, ctx.resident_id, number) if number
                     else await workorders.latest_for_resident(session, ctx.resident_id))
            if order is None:
                text = (f"没有查到您名下编号为{number}的工单，请核对一下编号。" if number
                        else "没有查到您提交过的报修或投诉。要反映问题的话，直接告诉我什么事、在哪里就行。")
                dispatcher.utter_message(text=text)
                return []
            last = order.events[-1] if order.events else None
            note = f"最新进展：{last.note}。" if last and last.note and last.actor != "resident" else ""
            overdue = ("已超过承诺时限，我们已提醒工作人员加快处理。"
                       if workorders.is_overdue(order, services.clock()) else "")
            dispatcher.utter_message(
                text=f"工单{order.number}（{order.description[:30]}）目前状态：{order.status}，"
                     f"{_STATUS_HINT.get(order.status, '')}。{note}{overdue}"
            )
        return []

