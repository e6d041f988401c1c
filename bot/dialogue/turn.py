"""One turn of a conversation: run actions with a real rasa_sdk Tracker and collect their replies."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.runtime import DomainEvent, turn_session
from bot.backend.models import Conversation
from bot.dialogue.domain import Button, Domain, Reply
from bot.nlu.types import ParseResult

log = logging.getLogger(__name__)
MAX_FOLLOWUPS = 5


@dataclass
class Turn:
    """The state of a turn while policies and actions run; replies collect in order."""

    session: AsyncSession
    conversation: Conversation
    state: dict[str, Any]
    parse: ParseResult
    text: str
    channel: str
    now: dt.datetime
    domain: Domain
    actions: dict[str, Action]
    replies: list[Reply] = field(default_factory=list)
    # What the actions did that channels may act on (a work order filed, a booking made).
    events: list[DomainEvent] = field(default_factory=list)
    # The greeting a message opened with (喂喂 听得到吗) when `text` is the request that followed it.
    greeting: str = ""

    @property
    def slots(self) -> dict[str, Any]:
        """The conversation's slots (mutable)."""
        return self.state.setdefault("slots", {})

    @property
    def intent(self) -> str:
        """The parsed intent name."""
        return self.parse["intent"]["name"]

    @property
    def confidence(self) -> float:
        """The parsed intent's confidence; Rasa's `nlu_fallback` pseudo-intent counts as no confidence."""
        if self.intent == "nlu_fallback":
            return 0.0
        return float(self.parse["intent"]["confidence"])

    def entity_values(self) -> dict[str, Any]:
        """Entities of this message by name (first value wins)."""
        out: dict[str, Any] = {}
        for e in self.parse.get("entities", []):
            out.setdefault(e["entity"], e["value"])
        return out

    def utter(self, response: str, buttons: list[dict[str, str]] | None = None, **values: Any) -> None:
        """Add a domain response, filled with slots and `values`; `buttons` replace the response's own."""
        reply = self.domain.render(response, {**self.slots, **values})
        if buttons:
            reply.buttons = [Button(b["title"], b["payload"]) for b in buttons]
        self.replies.append(reply)

    def tracker(self, slot_candidates: dict[str, Any] | None = None) -> Tracker:
        """A rasa_sdk Tracker of this conversation; candidates appear as the slot events after the user
        event, which is where FormValidationAction looks for slots to validate."""
        events: list[dict[str, Any]] = [
            {"event": "user", "text": self.text, "parse_data": dict(self.parse), "timestamp": self.now.timestamp()}
        ]
        for name, value in (slot_candidates or {}).items():
            events.append({"event": "slot", "name": name, "value": value})
        slots = {name: self.slots.get(name) for name in self.domain.slot_names}
        slots.update(slot_candidates or {})
        slots["requested_slot"] = self.state.get("requested_slot")
        form = self.state.get("active_form")
        latest = dict(self.parse)
        latest["text"] = self.text
        latest["metadata"] = dict(self.state.get("metadata") or {})
        return Tracker(
            sender_id=str(self.conversation.id),
            slots=slots,
            latest_message=latest,
            events=events,
            paused=self.conversation.status == "handoff",
            followup_action=None,
            active_loop={"name": form} if form else {},
            latest_action_name=None,
        )

    async def run(self, name: str, slot_candidates: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run an action (and its follow-ups); apply its events; return the events."""
        events: list[dict[str, Any]] = []
        for _ in range(MAX_FOLLOWUPS):
            action = self.actions.get(name)
            if action is None:
                if self.domain.has_response(name):
                    self.utter(name)
                    return events
                raise KeyError(f"unknown action {name}")
            dispatcher = CollectingDispatcher()
            with turn_session(self.session, self.events):
                produced = await action.run(dispatcher, self.tracker(slot_candidates), self.domain.as_rasa_dict())
            self._collect(dispatcher)
            events.extend(produced or [])
            followup = self.apply(produced or [])
            if not followup:
                return events
            name, slot_candidates = followup, None
        log.warning("follow-up chain too long after %s", name)
        return events

    def apply(self, events: list[dict[str, Any]]) -> str | None:
        """Apply an action's events to the state; return a follow-up action name if one was asked for."""
        followup = None
        for ev in events:
            kind = ev.get("event")
            if kind == "slot":
                self.slots[ev["name"]] = ev.get("value")
            elif kind == "active_loop":
                self.state["active_form"] = ev.get("name")
                if not ev.get("name"):
                    self.state.pop("requested_slot", None)
                    self.state.pop("confirming", None)
            elif kind == "followup":
                followup = ev.get("name")
            elif kind == "reset_slots":
                keep = {k: self.slots.get(k) for k in ("community", "channel", "elderly")}
                self.state["slots"] = {k: v for k, v in keep.items() if v is not None}
        return followup

    async def required_slots(self, form: str) -> list[str]:
        """The slots the form still needs, as its validation action sees them (rasa_sdk's
        `FormValidationAction.required_slots`: a home visit needs an address, a visit to the centre
        does not); the domain's list when the form has no such action."""
        spec = self.domain.forms[form]
        action = self.actions.get(spec.validate_action)
        hook = getattr(action, "required_slots", None)
        if hook is None:
            return list(spec.required_slots)
        dispatcher = CollectingDispatcher()
        with turn_session(self.session):
            slots = await hook(list(spec.required_slots), dispatcher, self.tracker(), self.domain.as_rasa_dict())
        return [str(s) for s in slots]

    def _collect(self, dispatcher: CollectingDispatcher) -> None:
        for msg in dispatcher.messages:
            custom = msg.get("custom") or {}
            if msg.get("response"):
                extra = {k: v for k, v in msg.items() if k not in ("response", "template", "custom")}
                reply = self.domain.render(msg["response"], {**self.slots, **extra})
                if msg.get("buttons"):  # buttons given with a response replace the response's own
                    reply.buttons = [Button(str(b.get("title", "")), str(b.get("payload", "")))
                                     for b in msg["buttons"]]
            else:
                buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in msg.get("buttons") or []]
                reply = Reply(text=msg.get("text") or "", buttons=buttons)
            if isinstance(custom, dict) and custom.get("speech"):
                reply.speech = str(custom["speech"])
            if reply.text or reply.buttons:
                self.replies.append(reply)
