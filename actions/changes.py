"""Rescheduling and cancelling an existing booking, always after the resident confirms."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import CONFIRM_BUTTONS, ValidateBookingForm
from actions.common import Context, format_clock, format_day, load_context
from actions.runtime import get_services, session_scope
from actions.slots import parse_day
from bot.backend import bookings
from bot.backend.models import Booking

_BOOKING_NO = re.compile(r"(?i)^YY\d{11}$")


async def _find_booking(tracker: Tracker, value: Any) -> tuple[Booking | None, Context, str]:
    """The resident's own active booking by number; 'latest' means their next upcoming one."""
    services = get_services()
    async with session_scope() as session:
        ctx = await load_context(session, tracker, services)
        if str(value).lower() == "latest":
            booking = await bookings.latest_active(session, ctx.resident_id, services.clock())
            return booking, ctx, "" if booking else "没有查到您名下还没到时间的预约。"
        booking = await bookings.find_for_resident(session, ctx.resident_id, str(value))
        if booking is None:
            return None, ctx, f"没有查到您名下编号为{value}的预约，请核对一下编号。"
        if booking.status != bookings.ACTIVE:
            return None, ctx, f"预约{booking.number}目前是“{booking.status}”状态，不能再修改。"
        return booking, ctx, ""


class _BookingNumberMixin:
    async def validate_ticket_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        """A booking number (YY…) of the resident's own, still active booking."""
        text = str(value or "").strip().upper()
        if text.startswith("GD"):
            dispatcher.utter_message(text="GD开头的是报修投诉的工单号，预约号是YY开头的，请再看一下。")
            return {"ticket_id": None}
        if text != "LATEST" and not _BOOKING_NO.match(text):
            dispatcher.utter_message(text="请告诉我YY开头的预约号。")
            return {"ticket_id": None}
        booking, _, problem = await _find_booking(tracker, text)
        if booking is None:
            dispatcher.utter_message(text=problem)
            return {"ticket_id": None}
        return {"ticket_id": booking.number, "service": booking.service_id}


class ValidateRescheduleForm(_BookingNumberMixin, ValidateBookingForm):
    """Checks the booking number, then the new day and time like a new booking."""

    def name(self) -> str:
        return "validate_reschedule_form"


class ValidateCancelForm(_BookingNumberMixin, FormValidationAction):
    """Checks the booking number to cancel."""

    def name(self) -> str:
        return "validate_cancel_form"


def _describe(booking: Booking, ctx: Context) -> str:
    services = get_services()
    svc = services.catalog.get(booking.service_id)
    today = services.local_now(ctx.community.code).date()
    tz = ctx.community.timezone
    start = booking.slot.start_at
    from zoneinfo import ZoneInfo

    day = start.astimezone(ZoneInfo(tz)).date()
    return f"{svc.name if svc else booking.service_id}，{format_day(day, today)} {format_clock(start, tz)}"


class ActionSubmitReschedule(Action):
    """Confirms, then moves the booking to the new slot."""

    def name(self) -> str:
        return "action_submit_reschedule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        booking, ctx, problem = await _find_booking(tracker, tracker.get_slot("ticket_id"))
        if booking is None:
            dispatcher.utter_message(text=problem)
            return [ActiveLoop(None), SlotSet("ticket_id", None)]
        day = parse_day(tracker.get_slot("date"))
        today = services.local_now(ctx.community.code).date()
        new_when = f"{format_day(day, today) if day else ''} {tracker.get_slot('time')}"
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(
                text=f"把预约{booking.number}（{_describe(booking, ctx)}）改到{new_when}，确认吗？",
                buttons=CONFIRM_BUTTONS,
            )
            return []
        async with session_scope() as session:
            booking = await session.merge(booking)
            moved = await bookings.reschedule(session, booking, int(tracker.get_slot("slot_id")))
        if not moved:
            dispatcher.utter_message(text="不好意思，这个时段刚被约满了，请重新选一个时段。")
            return [SlotSet("time", None), SlotSet("slot_id", None), SlotSet("confirmed", None)]
        dispatcher.utter_message(text=f"改好了！预约{booking.number}现在是{_describe(booking, ctx)}。")
        return [ActiveLoop(None), *[SlotSet(s, None) for s in ("ticket_id", "date", "time", "slot_id",
                                                                "service", "confirmed")]]


class ActionSubmitCancel(Action):
    """Confirms, then cancels the booking and frees its places."""

    def name(self) -> str:
        return "action_submit_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        booking, ctx, problem = await _find_booking(tracker, tracker.get_slot("ticket_id"))
        if booking is None:
            dispatcher.utter_message(text=problem)
            return [ActiveLoop(None), SlotSet("ticket_id", None)]
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(
                text=f"要取消预约{booking.number}（{_describe(booking, ctx)}）吗？",
                buttons=[{"title": "确认取消", "payload": "/affirm"}, {"title": "不取消", "payload": "/deny"}],
            )
            return []
        async with session_scope() as session:
            booking = await session.merge(booking)
            await bookings.cancel(session, booking)
        dispatcher.utter_message(text=f"已为您取消预约{booking.number}。需要的话随时可以重新预约。")
        return [ActiveLoop(None), SlotSet("ticket_id", None), SlotSet("service", None), SlotSet("confirmed", None)]


class ActionAskTicketId(Action):
    """Asks which booking, offering the resident's upcoming bookings as buttons."""

    def name(self) -> str:
        return "action_ask_ticket_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        from sqlalchemy import select

        from bot.backend.models import Slot

        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
                    .where(Booking.resident_id == ctx.resident_id, Booking.status == bookings.ACTIVE,
                           Slot.start_at > services.clock())
                    .order_by(Slot.start_at).limit(5))
            upcoming = list((await session.execute(stmt)).unique().scalars())
            buttons = [{"title": f"{b.number} {_describe(b, ctx)}", "payload": f'/inform{{"ticket_id":"{b.number}"}}'}
                       for b in upcoming]
        if not upcoming:
            dispatcher.utter_message(text="没有查到您名下还没到时间的预约。如果是用别的方式约的，请告诉我YY开头的预约号。")
            return []
        dispatcher.utter_message(text="是哪一个预约？", buttons=buttons)
        return []
