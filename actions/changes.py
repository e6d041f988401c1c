"""Rescheduling and cancelling a booking, and withdrawing a work order, always after the resident confirms.

Which booking or order is meant is taken from the words when they name one (把我的助浴改到…, 水管那个
撤了) or when the resident has only one; otherwise they are asked, with their own as buttons. A new day
and time are checked against that booking's service as soon as it is known, whatever order they came
in: a time said before the booking was known, or before a closed day was refused, is checked again
rather than trusted, and a part of the day (下午) is kept until a slot in it is chosen.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.booking import ValidateBookingForm
from actions.common import Context, format_clock, format_day, load_context, service_of
from actions.runtime import ActionServices, get_services, session_scope
from actions.slots import (
    MAX_DAYS_AHEAD,
    date_problem,
    day_buttons,
    exact_time,
    in_window,
    match_time,
    open_days,
    open_slots,
    parse_day,
    slot_buttons,
    window_of,
)
from actions.tickets import (
    BOOKING_WORDS,
    ORDER_WORDS,
    booking_when,
    describe_booking,
    describe_order,
    named_service,
    order_summary,
    pick,
    said_text,
)
from bot.backend import bookings, workorders
from bot.backend.models import Booking, Slot, WorkOrder
from bot.ticket_numbers import is_work_order
from knowledge.schema import Service

RESCHEDULE_SLOTS = ("ticket_id", "date", "time", "slot_id", "service", "people", "confirmed")
CANCEL_SLOTS = ("ticket_id", "service", "confirmed")


async def upcoming_bookings(session: AsyncSession, services: ActionServices, ctx: Context) -> list[Booking]:
    """The resident's active bookings still to come, soonest first."""
    stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.resident_id == ctx.resident_id, Booking.status == bookings.ACTIVE,
                   Slot.start_at > services.clock())
            .order_by(Slot.start_at).limit(10))
    return list((await session.execute(stmt)).unique().scalars())


async def open_orders(session: AsyncSession, ctx: Context) -> list[WorkOrder]:
    """The resident's work orders still open, newest first: those nobody has taken on yet are theirs to
    withdraw; one staff hold is named too, so that the resident hears why it cannot be withdrawn."""
    return await workorders.for_resident(session, ctx.resident_id, open_only=True)


def _narrowed(tracker: Tracker, services: ActionServices, found: list[Booking], orders: list[WorkOrder]
              ) -> tuple[list[Booking], list[WorkOrder]]:
    """The bookings and orders the message points at: by 预约/工单 words, the service named, or other words."""
    text = said_text(tracker)
    if BOOKING_WORDS.search(text) and not ORDER_WORDS.search(text) and found:
        orders = []
    elif ORDER_WORDS.search(text) and not BOOKING_WORDS.search(text) and orders:
        found = []
    service = named_service(tracker)
    if service and any(b.service_id == service for b in found):
        return [b for b in found if b.service_id == service], []
    items: list[Booking | WorkOrder] = [*found, *orders]
    chosen = pick(text, items, lambda i: describe_booking(services, i) if isinstance(i, Booking)
                  else describe_order(services, i))
    if chosen:
        return [i for i in chosen if isinstance(i, Booking)], [i for i in chosen if isinstance(i, WorkOrder)]
    return found, orders


class _TicketMixin:
    """The booking (or, when cancelling, the work order) a change is about."""

    with_orders = False

    async def extract_ticket_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """The one booking or order the words point at, or the only one there is (still to be confirmed)."""
        if tracker.get_slot("ticket_id") or "ticket_id" in tracker.slots_to_validate():
            return {}
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            found = await upcoming_bookings(session, services, ctx)
            orders = await open_orders(session, ctx) if self.with_orders else []
            found, orders = _narrowed(tracker, services, found, orders)
        items = [*(b.number for b in found), *(o.number for o in orders)]
        return {"ticket_id": items[0]} if len(items) == 1 else {}

    async def validate_ticket_id(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        """A booking of the resident's, still to come (or, when cancelling, one of their work orders)."""
        number = str(value or "").strip().upper()
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            if is_work_order(number):
                if self.with_orders:
                    order = await workorders.find_for_resident(session, ctx.resident_id, number)
                    if order is not None:
                        return {"ticket_id": order.number}
                    dispatcher.utter_message(response="utter_ticket_not_found", number=number)
                else:
                    dispatcher.utter_message(response="utter_ticket_is_an_order")
                return {"ticket_id": None}
            booking = await bookings.find_for_resident(session, ctx.resident_id, number) if number else None
            if booking is None:
                dispatcher.utter_message(response="utter_ticket_not_found", number=number)
                return {"ticket_id": None}
            if booking.status != bookings.ACTIVE or booking.slot.start_at <= services.clock():
                dispatcher.utter_message(response="utter_booking_not_changeable", number=booking.number,
                                         status=booking.status if booking.status != bookings.ACTIVE else "已过时间")
                return {"ticket_id": None}
            out = {"ticket_id": booking.number, "service": booking.service_id, "people": booking.people}
            if self.with_orders:
                return out
            tracker.slots.update(out)
            return {**out, **await self.recheck(dispatcher, tracker, session, ctx, booking)}

    async def recheck(self, dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession,
                      ctx: Context, booking: Booking) -> dict[str, Any]:
        """Check again, for the booking now known, what was said before it was."""
        return {}


class ValidateRescheduleForm(_TicketMixin, ValidateBookingForm):
    """Checks which booking, then the new day and time against that booking's service."""

    def name(self) -> str:
        return "validate_reschedule_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        """A time said as a part of the day (下午), or one not free, still needs a slot picked."""
        slots = list(domain_slots)
        if tracker.get_slot("time") and not tracker.get_slot("slot_id"):
            slots.append("slot_id")
        return slots

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> None:
        """The engine (bot.dialogue.policy) picks the next question from `required_slots`; the form does not."""
        return None

    async def validate_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """A day the booking's service is open and has room; said before the booking is known, kept."""
        day = parse_day(value)
        if day is None:
            return {"date": None}
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await _booking(session, tracker, ctx)
            if booking is None:
                return {"date": day.isoformat()}
            if not await _day_fits(dispatcher, session, services, ctx, booking, day, ask=True):
                return {"date": None, "slot_id": None}
            said = tracker.get_slot("time")
            if said and "time" not in tracker.slots_to_validate():
                # A time said earlier (before a closed day was refused) is checked for the new day.
                return {"date": day.isoformat(), **await _resolve_time(session, services, ctx, booking, day, str(said))}
        return {"date": day.isoformat()}

    async def extract_slot_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        """Never said: the slot follows from the time, in `validate_time`."""
        return {}

    async def validate_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """An exact free slot when one fits; otherwise what was said (下午, 15:00) is kept and the slot asked."""
        said = str(value or "").strip()
        if not said:
            return {"time": None, "slot_id": None}
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await _booking(session, tracker, ctx)
            day = parse_day(tracker.get_slot("date"))
            if booking is None or day is None:
                return {"time": said, "slot_id": None}
            return await _resolve_time(session, services, ctx, booking, day, said)

    async def recheck(self, dispatcher: CollectingDispatcher, tracker: Tracker, session: AsyncSession,
                      ctx: Context, booking: Booking) -> dict[str, Any]:
        """A day and time said before the booking was known are checked for its service now."""
        pending = tracker.slots_to_validate()
        out: dict[str, Any] = {}
        day = parse_day(tracker.get_slot("date"))
        services = get_services()
        if day is not None and "date" not in pending:
            if not await _day_fits(dispatcher, session, services, ctx, booking, day, ask=False):
                return {"date": None, "slot_id": None}
        said = tracker.get_slot("time")
        if day is not None and said and "time" not in pending:
            out = await _resolve_time(session, services, ctx, booking, day, str(said))
        return out


class ValidateCancelForm(_TicketMixin, FormValidationAction):
    """Checks the booking to cancel, or the work order to withdraw."""

    with_orders = True

    def name(self) -> str:
        return "validate_cancel_form"


async def _booking(session: AsyncSession, tracker: Tracker, ctx: Context) -> Booking | None:
    number = tracker.get_slot("ticket_id")
    if not number or is_work_order(str(number)):
        return None
    return await bookings.find_for_resident(session, ctx.resident_id, str(number))


def _service(services: ActionServices, booking: Booking) -> Service:
    service = service_of(services, booking.service_id)
    assert service is not None and service.booking is not None, f"{booking.service_id} is not bookable"
    return service


async def _day_fits(dispatcher: CollectingDispatcher, session: AsyncSession, services: ActionServices,
                    ctx: Context, booking: Booking, day: Any, *, ask: bool) -> bool:
    """Whether the booking can move to the day; if not, says why (and, with `ask`, offers open days)."""
    service = _service(services, booking)
    today = services.local_now(ctx.community.code).date()
    problem = date_problem(day, today, service)
    free = [] if problem else await _free(session, services, ctx, booking, day)
    if not problem and free:
        return True
    said = format_day(day, today)
    if problem == "utter_booking_day_closed":
        name = "utter_new_day_closed_pick" if ask else "utter_new_day_closed"
    elif problem:
        name = problem
    else:
        name = "utter_new_day_full_pick" if ask else "utter_new_day_full"
    if ask:
        days = await open_days(session, services, ctx, service, today, booking.people)
        dispatcher.utter_message(response=name, day=said, max_days=MAX_DAYS_AHEAD,
                                 buttons=day_buttons(today, days=days))
    else:
        # Said before the booking was known: the reason now, the question (with days) right after.
        dispatcher.utter_message(response=name, day=said, max_days=MAX_DAYS_AHEAD)
    return False


async def _free(session: AsyncSession, services: ActionServices, ctx: Context, booking: Booking,
                day: Any) -> list[Slot]:
    """Free slots of the day the booking would fit in, other than its own."""
    service = _service(services, booking)
    free = await open_slots(session, services, ctx, service, day, booking.people)
    return [s for s in free if s.id != booking.slot_id]


async def _resolve_time(session: AsyncSession, services: ActionServices, ctx: Context, booking: Booking,
                        day: Any, said: str) -> dict[str, Any]:
    """The free slot at the time said, or the words kept (with no slot) for the slot question."""
    if exact_time(said) is not None:
        slot = match_time(await _free(session, services, ctx, booking, day), said, ctx.community.timezone)
        if slot is not None:
            return {"time": format_clock(slot.start_at, ctx.community.timezone), "slot_id": slot.id}
    return {"time": said, "slot_id": None}


class _AskNewTime:
    """Offers the free slots of the new day: within the part of the day said (下午), or all of them.

    A mixin, not an Action: rasa_sdk's action server registers every Action subclass by its name.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await _booking(session, tracker, ctx)
            day = parse_day(tracker.get_slot("date"))
            if booking is None or day is None:
                dispatcher.utter_message(response="utter_ask_time")
                return []
            tz = ctx.community.timezone
            today = services.local_now(ctx.community.code).date()
            free = await _free(session, services, ctx, booking, day)
            said = str(tracker.get_slot("time") or "")
            when = format_day(day, today)
            name_of = _service(services, booking).name
            if not free:
                await _day_fits(dispatcher, session, services, ctx, booking, day, ask=True)
                return [SlotSet("date", None), SlotSet("time", None), SlotSet("slot_id", None)]
            window = window_of(said)
            if window is not None:
                inside = [s for s in free if in_window(s, window, tz)]
                name = "utter_ask_new_time_in_period" if inside else "utter_new_period_full"
                dispatcher.utter_message(response=name, day=when, period=said, service=name_of,
                                         buttons=slot_buttons(inside or free, tz))
            elif exact_time(said) is not None:
                is_current = booking.slot.day == day and format_clock(booking.slot.start_at, tz) == said
                dispatcher.utter_message(response="utter_new_time_is_current" if is_current else "utter_new_time_taken",
                                         day=when, time=said, service=name_of, buttons=slot_buttons(free, tz))
            else:
                dispatcher.utter_message(response="utter_ask_new_time", day=when, service=name_of,
                                         buttons=slot_buttons(free, tz))
        return []


class ActionAskRescheduleTime(_AskNewTime, Action):
    """Asks the new time of a booking."""

    def name(self) -> str:
        return "action_ask_reschedule_form_time"


class ActionAskRescheduleSlot(_AskNewTime, Action):
    """Asks for a slot within what was said (下午), or instead of a time that is not free."""

    def name(self) -> str:
        return "action_ask_reschedule_form_slot_id"


class ActionAskRescheduleDate(Action):
    """Asks the new day, offering days on which the booking's service is open and has room."""

    def name(self) -> str:
        return "action_ask_reschedule_form_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await _booking(session, tracker, ctx)
            today = services.local_now(ctx.community.code).date()
            if booking is None:
                dispatcher.utter_message(response="utter_ask_date", buttons=day_buttons(today))
                return []
            days = await open_days(session, services, ctx, _service(services, booking), today, booking.people)
            dispatcher.utter_message(response="utter_ask_new_date", current=booking_when(services, booking, ctx),
                                     buttons=day_buttons(today, days=days))
        return []


class ActionSubmitReschedule(Action):
    """Confirms, then moves the booking to the new slot."""

    def name(self) -> str:
        return "action_submit_reschedule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            booking = await _booking(session, tracker, ctx)
            if booking is None or booking.status != bookings.ACTIVE:
                dispatcher.utter_message(response="utter_ticket_not_found", number=tracker.get_slot("ticket_id"))
                return [ActiveLoop(None), *[SlotSet(s, None) for s in RESCHEDULE_SLOTS]]
            day = parse_day(tracker.get_slot("date"))
            slot = await session.get(Slot, int(tracker.get_slot("slot_id") or 0))
            if day is None or slot is None or slot.day != day or slot.service_id != booking.service_id:
                # What the slot stood for changed on the way: ask for the time again rather than guess.
                return [SlotSet("time", None), SlotSet("slot_id", None), SlotSet("confirmed", None)]
            tz = ctx.community.timezone
            today = services.local_now(ctx.community.code).date()
            current = booking_when(services, booking, ctx)
            if not tracker.get_slot("confirmed"):
                dispatcher.utter_message(response="utter_confirm_reschedule", number=booking.number, current=current,
                                         new_when=f"{format_day(day, today)} {format_clock(slot.start_at, tz)}")
                return []
            moved = await bookings.reschedule(session, booking, slot.id)
            if not moved:
                dispatcher.utter_message(response="utter_slot_just_taken")
                return [SlotSet("time", None), SlotSet("slot_id", None), SlotSet("confirmed", None)]
            booking.reminder_sent = False  # the day before the new day, a reminder is due again
            dispatcher.utter_message(response="utter_rescheduled", number=booking.number,
                                     current=booking_when(services, booking, ctx))
        return [ActiveLoop(None), *[SlotSet(s, None) for s in RESCHEDULE_SLOTS]]


class ActionSubmitCancel(Action):
    """Confirms, then cancels the booking (freeing its places) or withdraws the work order."""

    def name(self) -> str:
        return "action_submit_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        number = str(tracker.get_slot("ticket_id") or "")
        done = [ActiveLoop(None), *[SlotSet(s, None) for s in CANCEL_SLOTS]]
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            if is_work_order(number):
                order = await workorders.find_for_resident(session, ctx.resident_id, number)
                if order is None:
                    dispatcher.utter_message(response="utter_ticket_not_found", number=number)
                    return done
                return await _withdraw(dispatcher, session, services, order, bool(tracker.get_slot("confirmed")), done)
            booking = await bookings.find_for_resident(session, ctx.resident_id, number)
            if booking is None or booking.status != bookings.ACTIVE:
                dispatcher.utter_message(response="utter_ticket_not_found", number=number)
                return done
            if not tracker.get_slot("confirmed"):
                dispatcher.utter_message(response="utter_confirm_cancel", number=booking.number,
                                         current=booking_when(services, booking, ctx))
                return []
            await bookings.cancel(session, booking)
        dispatcher.utter_message(response="utter_cancelled", number=booking.number)
        return done


async def _withdraw(dispatcher: CollectingDispatcher, session: AsyncSession, services: ActionServices,
                    order: WorkOrder, confirmed: bool, done: list[Any]) -> list[Any]:
    """Withdraw a work order nobody has taken on yet; one in hand is the staff's to close."""
    summary = order_summary(order)
    if order.status not in workorders.WITHDRAWABLE:
        dispatcher.utter_message(response="utter_cannot_withdraw", number=order.number, summary=summary,
                                 status=order.status)
        return done
    if not confirmed:
        dispatcher.utter_message(response="utter_confirm_withdraw", number=order.number, summary=summary)
        return []
    await workorders.withdraw(session, order, now=services.clock())
    dispatcher.utter_message(response="utter_withdrawn", number=order.number)
    return done


# Words by which a resident refers to something booked or filed, rather than just declining a service.
_NAMES_A_BOOKING = re.compile(r"预约|预越|约的|约好|订的|报的|报名|单|号|[YyGg][YyDd]|撤|退")


class ActionAskTicketId(Action):
    """Asks which booking (or, when cancelling, which booking or work order), with the resident's own as buttons."""

    def name(self) -> str:
        return "action_ask_ticket_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        cancelling = (tracker.active_loop or {}).get("name") == "cancel_form"
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            found = await upcoming_bookings(session, services, ctx)
            orders = [o for o in await open_orders(session, ctx) if o.status in workorders.WITHDRAWABLE
                      ] if cancelling else []
            if not found and not orders:
                said = str((tracker.latest_message or {}).get("text") or "")
                if cancelling and not _NAMES_A_BOOKING.search(said):
                    # 陪诊不要了 with nothing booked: a plain "no thanks", not a request to search for bookings.
                    dispatcher.utter_message(response="utter_ok")
                else:
                    dispatcher.utter_message(response="utter_nothing_to_cancel" if cancelling
                                             else "utter_no_upcoming_bookings")
                return [ActiveLoop(None), *[SlotSet(s, None) for s in RESCHEDULE_SLOTS]]
            found, orders = _narrowed(tracker, services, found, orders)
            buttons = [{"title": f"{b.number} {booking_when(services, b, ctx)}",
                        "payload": f'/inform{{"ticket_id":"{b.number}"}}'} for b in found[:5]]
            buttons += [{"title": f"{o.number} {order_summary(o)}",
                         "payload": f'/inform{{"ticket_id":"{o.number}"}}'} for o in orders[:5]]
        dispatcher.utter_message(response="utter_which_to_cancel" if cancelling and orders else "utter_which_booking",
                                 buttons=buttons)
        return []
