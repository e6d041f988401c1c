"""Progress of what a resident asked for: a work order or a booking, by number or by the words used,
and 催办 (urging a work order on), which staff really hear about."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.common import Context, load_context
from actions.requests import deadline_text
from actions.runtime import ActionServices, get_services, session_scope
from actions.tickets import (
    BOOKING_WORDS,
    ORDER_WORDS,
    booking_when,
    describe_booking,
    describe_order,
    order_summary,
    pick,
    said_text,
)
from bot.backend import bookings, workorders
from bot.backend.escalations import open_escalation
from bot.backend.models import Booking, Slot, WorkOrder
from bot.backend.statuses import WorkOrderStatus
from bot.nlu.payload import make_payload
from bot.ticket_numbers import is_booking, is_work_order

# Expectations this action sets (registered in bot.dialogue.policy.EXPECTATIONS): which order was meant,
# and what to do about the order just reported on (催一下).
CHOICE = "status_choice"
FOLLOWUP = "status_followup"
# The payload entity of a 催一下 button.
URGE_ENTITY = "urge"
URGE_WORDS = re.compile(r"催|怎么还没|咋还没|还没人|还不来|快点|快一点|抓紧|等了好久|等好久")
# Asked again within this time, an urge is not raised again: staff already have it.
URGE_QUIET = dt.timedelta(hours=2)
STATUS_RESPONSES: dict[str, str] = {
    WorkOrderStatus.PENDING: "utter_order_status_pending",
    WorkOrderStatus.ACCEPTED: "utter_order_status_accepted",
    WorkOrderStatus.IN_PROGRESS: "utter_order_status_in_progress",
    WorkOrderStatus.DONE: "utter_order_status_done",
    WorkOrderStatus.CLOSED: "utter_order_status_closed",
}
MAX_LISTED = 5


class ActionCheckStatus(Action):
    """Tells the status of a work order or booking; urges an order on when asked to."""

    def name(self) -> str:
        return "action_check_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        expecting = tracker.get_slot("expecting") if isinstance(tracker.get_slot("expecting"), dict) else {}
        kind = expecting.get("kind") if expecting.get("kind") in (CHOICE, FOLLOWUP) else None
        number = str(next(tracker.get_latest_entity_values("ticket_id"), None) or "").strip().upper()
        text = said_text(tracker)
        urge = bool(next(tracker.get_latest_entity_values(URGE_ENTITY), None) or URGE_WORDS.search(text))
        asked_anew = tracker.get_intent_of_latest_message() == "check_status"
        if kind == CHOICE:
            urge = urge or bool(expecting.get("urge"))
        if kind == FOLLOWUP and not number and not urge and not asked_anew:
            # 好的 after a status answer: nothing more to do; anything else is not about the order.
            if tracker.get_intent_of_latest_message() == "affirm":
                dispatcher.utter_message(response="utter_ok")
                return [SlotSet("expecting", None)]
            return [SlotSet("expecting", None), FollowupAction("action_clarify")]
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            look = _Lookup(session, services, ctx, dispatcher)
            if number:
                return await look.by_number(number, text, urge)
            if kind == CHOICE:
                listed = [str(n) for n in expecting.get("numbers") or []]
                orders = [o for o in await workorders.for_resident(session, ctx.resident_id) if o.number in listed]
                chosen = pick(text, orders, lambda o: describe_order(services, o))
                if len(chosen) == 1:
                    return await look.report(chosen[0], urge)
                if not asked_anew:
                    return [SlotSet("expecting", None), FollowupAction("action_clarify")]
            said_booking = bool(BOOKING_WORDS.search(text)) and not ORDER_WORDS.search(text)
            if said_booking and not urge:
                return await look.bookings(text)
            # 催一下 right after hearing about an order is about that order, unless the words name another.
            just_told = str(expecting.get("number") or "") if kind == FOLLOWUP and urge else ""
            return await look.orders(text, urge, said_order=bool(ORDER_WORDS.search(text)), default=just_told)


class _Lookup:
    """The look-ups and answers of one status question, in the turn's session."""

    def __init__(self, session: AsyncSession, services: ActionServices, ctx: Context,
                 dispatcher: CollectingDispatcher) -> None:
        self.session = session
        self.services = services
        self.ctx = ctx
        self.dispatcher = dispatcher
        self.now = services.clock()

    async def by_number(self, number: str, text: str, urge: bool) -> list[Any]:
        """A number read out in full or in part: a booking's (YY, or 预约 said), else a work order's."""
        rid = self.ctx.resident_id
        said_order = bool(ORDER_WORDS.search(text)) or urge
        if is_booking(number) or (BOOKING_WORDS.search(text) and not said_order and not is_work_order(number)):
            booking = await bookings.find_for_resident(self.session, rid, number)
            if booking is None:
                self.dispatcher.utter_message(response="utter_booking_not_found", number=number)
                return [SlotSet("expecting", None)]
            self._say_booking(booking)
            return [SlotSet("expecting", None)]
        if not is_work_order(number) and not said_order:
            # Part of a number, or one without its letters: a booking of theirs, else a work order.
            booking = await bookings.find_for_resident(self.session, rid, number)
            if booking is not None:
                self._say_booking(booking)
                return [SlotSet("expecting", None)]
        order = await workorders.find_for_resident(self.session, rid, number)
        if order is None:
            self.dispatcher.utter_message(response="utter_order_not_found", number=number)
            return [SlotSet("expecting", None)]
        return await self.report(order, urge)

    async def orders(self, text: str, urge: bool, *, said_order: bool, default: str = "") -> list[Any]:
        """The order the words name (else `default`), the only one still open, or a question listing the
        open ones."""
        orders = await workorders.for_resident(self.session, self.ctx.resident_id)
        if not orders:
            if not said_order and not urge and await self._has_bookings():
                return await self.bookings(text)
            self.dispatcher.utter_message(response="utter_no_orders")
            return [SlotSet("expecting", None)]
        chosen = pick(text, orders, lambda o: describe_order(self.services, o))
        if len(chosen) == 1:
            return await self.report(chosen[0], urge)
        told = [o for o in orders if o.number == default]
        if told and not chosen:
            return await self.report(told[0], urge)
        pool = chosen or orders
        still_open = [o for o in pool if o.status not in workorders.CLOSED]
        if len(pool) == 1:
            return await self.report(pool[0], urge)
        if len(still_open) == 1:
            return await self.report(still_open[0], urge)
        if not still_open:
            return await self.report(pool[0], urge)
        listed = still_open[:MAX_LISTED]
        buttons = [{"title": f"{order_summary(o)}（{o.status}）",
                    "payload": make_payload("check_status", {"ticket_id": o.number, **({URGE_ENTITY: "1"} if urge
                                                                                     else {})})}
                   for o in listed]
        self.dispatcher.utter_message(response="utter_which_order_to_urge" if urge else "utter_which_order",
                                      buttons=buttons)
        return [SlotSet("expecting", {"kind": CHOICE, "numbers": [o.number for o in listed], "urge": urge})]

    async def report(self, order: WorkOrder, urge: bool) -> list[Any]:
        """The order's status, its latest news and promise; urged on when asked."""
        if urge:
            return await self._urge(order)
        tz = self.ctx.community.timezone
        today = self.services.local_now(self.ctx.community.code).date()
        self.dispatcher.utter_message(response=STATUS_RESPONSES.get(order.status, "utter_order_status_pending"),
                                      number=order.number, summary=order_summary(order))
        last = order.events[-1] if order.events else None
        if last and last.note and last.actor != "resident" and last.note != workorders.OVERDUE_NOTE:
            self.dispatcher.utter_message(response="utter_order_progress", note=last.note.rstrip("。"))
        if order.status in workorders.CLOSED:
            return [SlotSet("expecting", None)]
        if workorders.is_overdue(order, self.now):
            await self._remind_staff(order)
            self.dispatcher.utter_message(response="utter_order_overdue_reminded")
        elif order.status == WorkOrderStatus.PENDING and _aware(order.ack_due_at) > self.now:
            self.dispatcher.utter_message(response="utter_order_promise", ack_due=deadline_text(order.ack_due_at, tz,
                                                                                                 today),
                                          due=deadline_text(order.due_at, tz, today))
        else:
            self.dispatcher.utter_message(response="utter_order_promise_done_only",
                                          due=deadline_text(order.due_at, tz, today))
        self.dispatcher.utter_message(response="utter_order_followup_buttons", buttons=self._followup_buttons(order))
        return [SlotSet("expecting", {"kind": FOLLOWUP, "number": order.number})]

    def _followup_buttons(self, order: WorkOrder) -> list[dict[str, str]]:
        buttons = [{"title": "催一下", "payload": make_payload("check_status", {"ticket_id": order.number,
                                                                              URGE_ENTITY: "1"})}]
        if order.status in workorders.WITHDRAWABLE:
            buttons.append({"title": "撤回这件事", "payload": make_payload("cancel_booking",
                                                                        {"ticket_id": order.number})})
        return buttons

    async def _remind_staff(self, order: WorkOrder) -> None:
        """Past its deadline: tell staff (once per order), so what the resident hears is true."""
        if workorders.last_noted(order, workorders.OVERDUE_NOTE) is None:
            await workorders.note_event(self.session, order, workorders.OVERDUE_NOTE, actor="system", now=self.now)
            await open_escalation(self.session, self.ctx.conversation, "overdue", urgent=True, pause=False)

    async def _urge(self, order: WorkOrder) -> list[Any]:
        """催办: noted on the order and raised to staff (their inbox), then the resident is told so."""
        summary = order_summary(order)
        if order.status in workorders.CLOSED:
            self.dispatcher.utter_message(response="utter_urge_closed", number=order.number, summary=summary,
                                          status=order.status)
            return [SlotSet("expecting", None)]
        last = workorders.last_noted(order, workorders.URGED_NOTE)
        if last is not None and self.now - last < URGE_QUIET:
            self.dispatcher.utter_message(response="utter_urged_again", number=order.number)
            return [SlotSet("expecting", {"kind": FOLLOWUP, "number": order.number})]
        overdue = workorders.is_overdue(order, self.now)
        await workorders.note_event(self.session, order, workorders.URGED_NOTE, now=self.now)
        await open_escalation(self.session, self.ctx.conversation, "urge", urgent=overdue, pause=False)
        self.dispatcher.utter_message(response="utter_urged", number=order.number, summary=summary)
        if overdue:
            if workorders.last_noted(order, workorders.OVERDUE_NOTE) is None:
                await workorders.note_event(self.session, order, workorders.OVERDUE_NOTE, actor="system",
                                            now=self.now)
            self.dispatcher.utter_message(response="utter_order_overdue_reminded")
        # 催一下 said again right away is about the same order.
        return [SlotSet("expecting", {"kind": FOLLOWUP, "number": order.number})]

    async def bookings(self, text: str) -> list[Any]:
        """The resident's upcoming bookings (the one the words name), else their latest one."""
        stmt = (select(Booking).join(Slot, Slot.id == Booking.slot_id)
                .where(Booking.resident_id == self.ctx.resident_id, Booking.status == bookings.ACTIVE,
                       Slot.start_at > self.now)
                .order_by(Slot.start_at))
        upcoming = list((await self.session.execute(stmt)).unique().scalars())
        chosen = pick(text, upcoming, lambda b: describe_booking(self.services, b)) or upcoming
        if len(chosen) == 1:
            self._say_booking(chosen[0])
        elif chosen:
            self.dispatcher.utter_message(response="utter_bookings_upcoming", count=len(chosen))
            for b in chosen[:MAX_LISTED]:
                self._say_booking(b)
        else:
            latest = await bookings.latest_for_resident(self.session, self.ctx.resident_id)
            if latest is None:
                self.dispatcher.utter_message(response="utter_no_bookings")
            else:
                self._say_booking(latest)
        return [SlotSet("expecting", None)]

    async def _has_bookings(self) -> bool:
        return await bookings.latest_for_resident(self.session, self.ctx.resident_id) is not None

    def _say_booking(self, booking: Booking) -> None:
        self.dispatcher.utter_message(response="utter_booking_status", number=booking.number,
                                      when=booking_when(self.services, booking, self.ctx), people=booking.people,
                                      status=booking.status)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
