"""好差评: taking a rating of a work order, a booking or the conversation, and following up poor ones."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions.common import load_context
from actions.runtime import get_services, session_scope
from bot.backend import bookings, workorders
from bot.backend.escalations import open_escalation
from bot.backend.models import Booking, WorkOrder
from bot.backend.ratings import LABELS, record_rating
from bot.dialogue.payload import make_payload

_RATING_WORDS = re.compile(r"(非常满意|基本满意|非常不满意|不满意|满意|好评|差评|中评|[1-5一二三四五]\s*[星分颗])")


def rating_buttons(ticket: str | None = None) -> list[dict[str, str]]:
    """The five grades as buttons, carrying what is being rated."""
    out = []
    for score in (5, 4, 3, 2, 1):
        ents: dict[str, object] = {"rating": score}
        if ticket:
            ents["ticket_id"] = ticket
        out.append({"title": LABELS[score], "payload": make_payload("rate_service", ents)})
    return out


class ActionRate(Action):
    """Stores a rating (asking for the grade if none was given) and thanks the resident."""

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        score = next(tracker.get_latest_entity_values("rating"), None)
        ticket = next(tracker.get_latest_entity_values("ticket_id"), None)
        text = tracker.latest_message.get("text") or ""
        if score is None:
            dispatcher.utter_message(response="utter_ask_rating", buttons=rating_buttons(ticket))
            return []
        score = max(1, min(5, int(float(score))))
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            subject_type, subject_id, service_id = await _subject(session, ctx.resident_id, ticket)
            if subject_type == "conversation":
                subject_id = ctx.conversation.id
            comment = "" if text.startswith("/") else _RATING_WORDS.sub("", text).strip(" ，。,.!！")
            rating = await record_rating(
                session, community_id=ctx.community_id, resident_id=ctx.resident_id, subject_type=subject_type,
                subject_id=subject_id, score=score, comment=comment if len(comment) >= 2 else "",
                service_id=service_id,
            )
            if rating.follow_up_status:
                await open_escalation(session, ctx.conversation, "bad_rating", urgent=True, pause=False)
            hours = ctx.community.deadlines.get("投诉", {}).get("ack", 24)
        dispatcher.utter_message(response="utter_rate_thanks", label=rating.label)
        if rating.follow_up_status:
            dispatcher.utter_message(response="utter_rate_followup", hours=hours)
        return []


async def _subject(session: Any, resident_id: int, ticket: Any) -> tuple[str, int, str | None]:
    """What the rating is about: the ticket named, else the latest closed order or used booking."""
    number = str(ticket or "").upper()
    if number.startswith("GD"):
        order = await workorders.get_by_number(session, number)
        if order is not None and order.resident_id == resident_id:
            return "work_order", order.id, order.service_id
    if number.startswith("YY"):
        booking = await bookings.get_by_number(session, number)
        if booking is not None and booking.resident_id == resident_id:
            return "booking", booking.id, booking.service_id
    stmt = (select(WorkOrder).where(WorkOrder.resident_id == resident_id, WorkOrder.status == "已办结")
            .order_by(WorkOrder.id.desc()).limit(1))
    order = (await session.execute(stmt)).scalar_one_or_none()
    stmt2 = select(Booking).where(Booking.resident_id == resident_id).order_by(Booking.id.desc()).limit(1)
    booking = (await session.execute(stmt2)).unique().scalar_one_or_none()
    if booking is not None and (order is None or booking.created_at > order.created_at):
        return "booking", booking.id, booking.service_id
    if order is not None:
        return "work_order", order.id, order.service_id
    return "conversation", 0, None
