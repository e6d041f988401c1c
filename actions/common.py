"""What every action family shares: the conversation behind a tracker, and plain-words formatting."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.ext.asyncio import AsyncSession

from actions.runtime import ActionServices
from bot.backend.models import Conversation
from bot.errors import NotFound
from knowledge.schema import CommunitySettings, Service

WEEKDAYS = "一二三四五六日"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


@dataclass
class Context:
    """The conversation an action runs for, loaded in the turn's session."""

    conversation: Conversation
    community: CommunitySettings

    @property
    def resident_id(self) -> int:
        """The resident's id."""
        return self.conversation.resident_id

    @property
    def community_id(self) -> int:
        """The community's database id."""
        return self.conversation.community_id


async def load_context(session: AsyncSession, tracker: Tracker, services: ActionServices) -> Context:
    """The conversation and community settings for the tracker's sender (the conversation id)."""
    try:
        conv = await session.get(Conversation, int(tracker.sender_id))
    except (TypeError, ValueError):
        conv = None
    if conv is None:
        raise NotFound(f"no conversation {tracker.sender_id}")
    return Context(conversation=conv, community=services.community(conv.community.code))


def format_day(day: dt.date, today: dt.date | None = None) -> str:
    """12月3日（周三）, with 今天/明天/后天 where it helps."""
    text = f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"
    if today is not None:
        delta = (day - today).days
        prefix = {0: "今天", 1: "明天", 2: "后天"}.get(delta)
        if prefix:
            text = f"{prefix}{text}"
    return text


def format_clock(moment: dt.datetime, tz: str) -> str:
    """09:00 in the community's local time."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def normalise_phone(value: Any) -> str | None:
    """Digits of a valid mainland mobile or landline number, or None."""
    digits = re.sub(r"[\s\-()（）]", "", str(value or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.match(digits) or LANDLINE.match(digits) else None


def service_of(services: ActionServices, value: Any) -> Service | None:
    """The catalog service a slot value names, by id or exact name or alias."""
    if not value:
        return None
    text = str(value)
    found = services.catalog.get(text)
    if found is not None:
        return found
    for s in services.catalog.services:
        if text == s.name or text in s.aliases:
            return s
    return None


class ContactSlots:
    """Validation of the contact slots that several forms share (mixed into FormValidationActions)."""

    async def validate_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """A short name or form of address."""
        name = str(value or "").strip()
        if not name or len(name) > 20 or name.isdigit():
            dispatcher.utter_message(response="utter_name_invalid")
            return {"name": None}
        return {"name": name}

    async def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        """A mainland mobile or landline number."""
        phone = normalise_phone(value)
        if phone is None:
            dispatcher.utter_message(response="utter_phone_invalid")
            return {"phone": None}
        return {"phone": phone}


def phrase(domain: DomainDict, response: str, **values: Any) -> str:
    """The text of a domain response with its placeholders filled, for button titles and speech that an
    action builds (the wording stays in the response files)."""
    variants = (domain.get("responses") or {}).get(response) or [{}]
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(values.get(m.group(1), m.group(0))), variants[0].get("text", ""))


def response_buttons(domain: DomainDict, response: str) -> list[dict[str, str]]:
    """The buttons a domain response defines, for an action that adds them to buttons of its own."""
    variants = (domain.get("responses") or {}).get(response) or [{}]
    return [dict(b) for b in variants[0].get("buttons", [])]
