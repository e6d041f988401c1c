"""Signing up as a community volunteer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import CONFIRM_BUTTONS
from actions.common import ContactSlots, load_context
from actions.runtime import get_services, session_scope
from bot.backend.models import VolunteerSignup
from bot.masking import mask_phone

ACTIVITIES = ("助老陪伴", "环境清洁", "文明劝导", "活动协助", "防疫应急", "课业辅导")


class ValidateVolunteerForm(ContactSlots, FormValidationAction):
    """Checks the activity, name and phone of a volunteer."""

    def name(self) -> str:
        return "validate_volunteer_form"

    async def validate_activity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        """Any short description of what the resident wants to help with."""
        text = str(value or "").strip()
        return {"activity": text[:60]} if len(text) >= 2 else {"activity": None}


class ActionAskActivity(Action):
    """Offers the usual kinds of volunteering as buttons."""

    def name(self) -> str:
        return "action_ask_activity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        buttons = [{"title": a, "payload": f'/inform{{"activity":"{a}"}}'} for a in ACTIVITIES]
        dispatcher.utter_message(response="utter_ask_activity", buttons=buttons)
        return []


class ActionSubmitVolunteer(Action):
    """Confirms, then records the sign-up."""

    def name(self) -> str:
        return "action_submit_volunteer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        activity, name, phone = (tracker.get_slot(s) for s in ("activity", "name", "phone"))
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_volunteer_summary", activity=activity, name=name,
                                     masked_phone=mask_phone(phone), buttons=CONFIRM_BUTTONS)
            return []
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            session.add(VolunteerSignup(community_id=ctx.community_id, resident_id=ctx.resident_id,
                                        activity=str(activity), name=str(name), phone=str(phone)))
            await session.flush()
        dispatcher.utter_message(response="utter_volunteer_done", masked_phone=mask_phone(phone))
        return [ActiveLoop(None), *[SlotSet(s, None) for s in ("activity", "name", "phone", "confirmed")]]
