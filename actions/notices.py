"""A resident stops or restarts community notices (停水通知, 活动通知 …) by saying so.

Urgent warnings (防灾预警) reach them either way, and the reply says so: a resident who switched notices off
must not believe a typhoon warning will not come (see bot/backend/notices.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import load_context
from actions.runtime import get_services, session_scope
from bot.backend.notices import set_notices_off


class ActionStopNotices(Action):
    """No more ordinary community notices for this resident."""

    def name(self) -> str:
        return "action_stop_notices"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        async with session_scope() as session:
            ctx = await load_context(session, tracker, get_services())
            await set_notices_off(session, ctx.conversation.resident_id, True)
        dispatcher.utter_message(response="utter_notices_stopped")
        return []


class ActionResumeNotices(Action):
    """Community notices again for a resident who had stopped them."""

    def name(self) -> str:
        return "action_resume_notices"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        async with session_scope() as session:
            ctx = await load_context(session, tracker, get_services())
            await set_notices_off(session, ctx.conversation.resident_id, False)
        dispatcher.utter_message(response="utter_notices_resumed")
        return []
