"""Booking a service: validate each answer, offer free slots as buttons, confirm, then book."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import ContactSlots, format_clock, format_day, load_context, mask_phone, service_of
from actions.runtime import get_services, session_scope
from actions.slots import PERIODS, date_problem, day_buttons, match_time, open_slots, parse_day, slot_buttons
from bot.backend import bookings

CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}]
BOOKING_SLOTS = ("service", "date", "time", "slot_id", "people", "name", "phone", "confirmed")


def _bookable_buttons(limit: int = 6) -> list[dict[str, str]]:
    svcs = [s for s in get_services().catalog.services if s.kind == "bookable"][:limit]
    return [{"title": s.name, "payload": f'/book_service{{"service":"{s.id}"}}'} for s in svcs]


class ValidateBookingForm(ContactSlots, FormValidationAction):
    """Checks service, date, time, people, name and phone one by one, saying why when one fails."""

    def name(self) -> str:
        return "validate_booking_form"

    async def validate_service(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        """Only bookable services can be booked."""
        service = service_of(get_services(), value)
        if service is None:
            dispatcher.utter_message(text="这项服务暂时不能在线预约。可以预约的有：", buttons=_bookable_buttons())
            return {"service": None}
        if service.kind != "bookable":
            dispatcher.utter_message(
                text=f"「{service.name}」不需要预约，直接去办理就行。可以在线预约的服务有：",
                buttons=_bookable_buttons(),
            )
            return {"service": None}
        return {"service": service.id}

    async def validate_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """A day from today up to 30 days ahead, on which the service is open and has room."""
        services = get_services()
        day = parse_day(value)
        today = services.local_now(tracker.get_slot("community")).date()
        if day is None:
            dispatcher.utter_message(text="没听清是哪一天，请再说一下日期。", buttons=day_buttons(today))
            return {"date": None}
        service = service_of(services, tracker.get_slot("service"))
        problem = date_problem(day, today, service)
        if problem:
            dispatcher.utter_message(text=problem, buttons=day_buttons(today))
            return {"date": None}
        if service is not None and service.booking is not None:
            async with session_scope() as session:
                ctx = await load_context(session, tracker, services)
                if not await open_slots(session, services, ctx, service, day):
                    dispatcher.utter_message(text=f"{format_day(day, today)}已经约满了，请换一天。",
                                             buttons=day_buttons(today))
                    return {"date": None, "time": None, "slot_id": None}
        return {"date": day.isoformat()}

    async def validate_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """An exact free slot; a part of the day ("上午") shows that part's free slots as buttons."""
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        if service is None or service.booking is None or day is None:
            # Keep what was said; it is checked again once service and date are known.
            return {"time": str(value)} if value else {"time": None}
        today = services.local_now(tracker.get_slot("community")).date()
        if date_problem(day, today, service):
            return {"time": None}
        people = int(tracker.get_slot("people") or 1)
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            tz = ctx.community.timezone
            free = await open_slots(session, services, ctx, service, day, people)
            text = str(value or "")
            if not free:
                dispatcher.utter_message(text=f"{format_day(day, today)}已经约满了，请换一天。",
                                         buttons=day_buttons(today))
                return {"time": None, "date": None, "slot_id": None}
            if text in PERIODS:
                in_period = [s for s in free if _in(s, text, tz)]
                lead = (f"{format_day(day, today)}{text}还有这些时段可以约，请选一个：" if in_period
                        else f"{format_day(day, today)}{text}没有空位了，当天其他时段还可以约：")
                dispatcher.utter_message(text=lead, buttons=slot_buttons(in_period or free, tz))
                return {"time": None, "slot_id": None}
            slot = match_time(free, text, tz)
            if slot is None:
                msg = f"{text}这个时段没有空位了，请选一个还有名额的时段：" if text else "请选一个时段："
                dispatcher.utter_message(text=msg, buttons=slot_buttons(free, tz))
                return {"time": None, "slot_id": None}
            return {"time": format_clock(slot.start_at, tz), "slot_id": slot.id}

    async def validate_people(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        """One up to the service's limit per booking."""
        service = service_of(get_services(), tracker.get_slot("service"))
        limit = service.booking.max_people if service and service.booking else 4
        try:
            people = int(float(value))
        except (TypeError, ValueError):
            people = 0
        if limit == 1 and people > 1:
            dispatcher.utter_message(text="这项服务每次只能约1位，先按1位为您预约，其他人可以另外再约。")
            return {"people": 1}
        if not 1 <= people <= limit:
            dispatcher.utter_message(text=f"每次最多可以约{limit}位，请说一个1到{limit}之间的人数。")
            return {"people": None}
        return {"people": people}


def _in(slot: Any, period: str, tz: str) -> bool:
    from actions.slots import in_period

    return in_period(slot, period, tz)


class ActionAskService(Action):
    """Asks which service to book, with the bookable ones as buttons."""

    def name(self) -> str:
        return "action_ask_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        dispatcher.utter_message(text="请问您要预约哪项服务？", buttons=_bookable_buttons())
        return []


class ActionAskDate(Action):
    """Asks for the day, offering the next few days."""

    def name(self) -> str:
        return "action_ask_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        today = get_services().local_now(tracker.get_slot("community")).date()
        dispatcher.utter_message(text="请问您想约哪一天？", buttons=day_buttons(today))
        return []


class ActionAskTime(Action):
    """Shows the day's free slots with places left."""

    def name(self) -> str:
        return "action_ask_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        if service is None or service.booking is None or day is None:
            dispatcher.utter_message(response="utter_ask_time")
            return []
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            free = await open_slots(session, services, ctx, service, day, int(tracker.get_slot("people") or 1))
            today = services.local_now(ctx.community.code).date()
            if not free:
                dispatcher.utter_message(text=f"{format_day(day, today)}已经约满了，请换一天。",
                                         buttons=day_buttons(today))
                return [SlotSet("date", None)]
            dispatcher.utter_message(text=f"{format_day(day, today)}还有这些时段，请选一个：",
                                     buttons=slot_buttons(free, ctx.community.timezone))
        return []


class ActionSubmitBooking(Action):
    """Asks the resident to confirm; once confirmed, books and gives the booking number."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        assert service is not None and day is not None
        today = services.local_now(tracker.get_slot("community")).date()
        when = f"{format_day(day, today)} {tracker.get_slot('time')}"
        people = int(tracker.get_slot("people") or 1)
        summary = (f"请核对预约信息：\n服务：{service.name}\n时间：{when}\n人数：{people}位\n"
                   f"联系人：{tracker.get_slot('name')}，电话{mask_phone(tracker.get_slot('phone'))}")
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text=summary + "\n确认提交吗？", buttons=CONFIRM_BUTTONS)
            return []
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await bookings.book(
                session, community_id=ctx.community_id, resident_id=ctx.resident_id,
                conversation_id=ctx.conversation.id, service_id=service.id,
                slot_id=int(tracker.get_slot("slot_id")), people=people, name=str(tracker.get_slot("name")),
                phone=str(tracker.get_slot("phone")), local_day=services.local_now(ctx.community.code).date(),
            )
        if booking is None:
            dispatcher.utter_message(text="不好意思，这个时段刚刚被约满了，请重新选一个时段。")
            return [SlotSet("time", None), SlotSet("slot_id", None), SlotSet("confirmed", None)]
        where = ctx.community.values.get("service_center", "社区服务中心")
        place = "工作人员会按时上门" if service.booking and service.booking.home_visit else f"请按时到{where}"
        dispatcher.utter_message(
            text=f"预约成功！预约号：{booking.number}\n{service.name}，{when}，{people}位。\n"
                 f"{place}，提前一天会提醒您。要改时间或取消，直接告诉我预约号就行。"
        )
        return [ActiveLoop(None), *[SlotSet(s, None) for s in BOOKING_SLOTS]]
