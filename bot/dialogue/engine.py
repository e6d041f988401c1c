"""The dialogue engine: one resident message in, the assistant's replies out.

A turn runs inside one database transaction: the conversation row is locked, the message stored,
actions run and write, the state saved, and the inbound id recorded, all or nothing. A retried
message id returns the replies given the first time and writes nothing.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from actions.runtime import ActionServices, DomainEvent, using_services
from bot.backend import residents
from bot.backend.escalations import open_escalation
from bot.backend.models import ChannelIdentity, Community, Conversation, Message, ProcessedInbound
from bot.config import Settings
from bot.dialogue import choices, photos
from bot.dialogue.agreement import check_agreement
from bot.dialogue.domain import Button, Domain, Reply
from bot.dialogue.policy import RULES, decide, during_handoff
from bot.dialogue.text import clean
from bot.dialogue.turn import Turn
from bot.dialogue.understanding import split_greeting
from bot.errors import InvalidInput
from bot.nlu.payload import parse_payload
from bot.nlu.types import NluParser, ParseResult
from knowledge.schema import CommunitySettings

log = logging.getLogger(__name__)


@dataclass
class InboundMessage:
    """A resident's message as any channel delivers it."""

    sender: str
    text: str
    channel: str = "web"
    message_id: str | None = None
    community: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    chat_id: str | None = None
    # A bridge keyed to one community speaks only for that community's residents.
    community_locked: bool = False


@dataclass
class TurnResult:
    """What the channel sends back."""

    conversation_id: int
    conversation_token: str
    replies: list[Reply]
    duplicate: bool = False
    handoff: bool = False
    # What the turn did besides replying (see actions.runtime.DomainEvent); channels act on these.
    events: list[DomainEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The REST shape of a turn's result (also what is stored against a message id)."""
        return {
            "conversation_id": self.conversation_id,
            "conversation_token": self.conversation_token,
            "replies": [r.as_dict() for r in self.replies],
            "events": [e.as_dict() for e in self.events],
        }

    def did(self, kind: str) -> bool:
        """Whether the turn did this (e.g. "work_order_filed")."""
        return any(e.kind == kind for e in self.events)


def _empty_parse(text: str, intent: str = "out_of_scope", confidence: float = 1.0) -> ParseResult:
    return ParseResult(text=text, intent={"name": intent, "confidence": confidence},
                       intent_ranking=[{"name": intent, "confidence": confidence}], entities=[])


class DialogueEngine:
    """Runs turns; everything it needs is passed in."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        services: ActionServices,
        nlu: NluParser,
        domain: Domain,
        actions: dict[str, Action],
        communities: dict[str, CommunitySettings],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        speech: Callable[[str], str] | None = None,
        on_turn: Callable[[InboundMessage, TurnResult, float, ParseResult], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        # What this engine's actions use; set for each of its turns, never installed process-wide.
        self.services = services
        self.nlu = nlu
        self.domain = domain
        self.actions = actions
        self.communities = communities
        self.clock = clock
        self.speech = speech
        # Told of each answered turn (message, result, seconds taken, parse), e.g. to count it for /metrics.
        self.on_turn = on_turn
        # A form without its submit action, or an action nobody registered, stops the start here, not a resident later.
        check_agreement(domain, actions.keys(), RULES)
        self._intents = set(domain.raw.get("intents") or [])
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        # SQLite has one writer at a time; queueing turns here, in order, is much fairer and faster than
        # letting them spin in SQLite's busy handler (which sleeps up to 100 ms between tries).
        self._sqlite_writer = asyncio.Lock() if settings.database_url.startswith("sqlite") else None

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Parse a message: button payloads directly, everything else through the NLU."""
        payload = parse_payload(text, self._intents)
        if payload is not None:
            return payload
        result = self.nlu.parse(text, now=now)
        lead, rest = split_greeting(text)
        if lead and len(rest) >= 2 and not self._clear(result, exclude=("greet",)):
            # 喂喂 听得到吗 那个老年卡怎么办: the greeting hides the question; read what follows it.
            inner = self.nlu.parse(rest, now=now)
            if self._clear(inner, exclude=("greet", "out_of_scope")):
                return inner
        return result

    def _clear(self, result: ParseResult, exclude: tuple[str, ...]) -> bool:
        """A confident intent other than those excluded (Rasa's nlu_fallback is never one)."""
        intent = result["intent"]
        return (intent["name"] not in (*exclude, "nlu_fallback")
                and float(intent["confidence"]) >= self.settings.nlu_fallback_threshold)

    def _timezone(self, code: str | None) -> str:
        community = self.communities.get(code or self.settings.default_community)
        return community.timezone if community else "Asia/Shanghai"

    def _lock(self, channel: str, sender: str) -> asyncio.Lock:
        key = (channel, sender)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, msg: InboundMessage) -> TurnResult:
        """Answer one message (or hand it to staff); never raises for odd text."""
        started = time.perf_counter()
        with using_services(self.services):
            result, parse = await self._handle(msg)
        if self.on_turn is not None:
            try:
                self.on_turn(msg, result, time.perf_counter() - started, parse)
            except Exception:
                log.exception("turn observer failed")  # counting a turn never costs the resident the answer
        return result

    async def _handle(self, msg: InboundMessage) -> tuple[TurnResult, ParseResult]:
        _check_identifiers(msg)
        now = self.clock()
        # Relative dates ("明天") mean the resident's local day, not the server's UTC day.
        local_now = now.astimezone(ZoneInfo(self._timezone(msg.community)))
        cleaned = clean(msg.text, self.settings.max_message_chars)
        if cleaned.empty:
            parse, special = _empty_parse(""), "utter_empty_message"
        elif cleaned.symbols_only:
            parse, special = _empty_parse(cleaned.text), "utter_symbols_only"
        else:
            try:
                parse, special = self.parse(cleaned.text, now=local_now), None
            except Exception:
                # A broken NLU must not silence the resident: treat the message as not understood.
                log.exception("NLU failed; answering with a clarifying fallback")
                parse, special = _empty_parse(cleaned.text, "inform", 0.0), None
        async with self._lock(msg.channel, msg.sender):
            for attempt in range(3):
                try:
                    if self._sqlite_writer is None:
                        return await self._turn(msg, cleaned.text, cleaned.truncated, parse, special, now), parse
                    async with self._sqlite_writer:
                        return await self._turn(msg, cleaned.text, cleaned.truncated, parse, special, now), parse
                except IntegrityError:
                    # Another worker handled the same message id or created the same row first.
                    if attempt == 2:
                        raise
                    log.info("retrying turn after a concurrent write")
                except (InvalidInput, OperationalError):
                    raise
                except Exception:
                    log.exception("turn failed; handing the conversation to staff")
                    return await self._hand_over_after_error(msg, cleaned.text, parse), parse
        raise AssertionError("unreachable")

    async def _hand_over_after_error(self, msg: InboundMessage, text: str, parse: ParseResult) -> TurnResult:
        """Keep the message and give it to staff, so a bug never leaves a resident unanswered."""
        reply = self.domain.render("utter_turn_failed", {})
        if msg.channel == "voice":
            reply.speech = self.speak(reply)
        async with self.sessionmaker() as session, session.begin():
            identity, community = await self._sender(session, msg)
            conv, _ = await residents.ensure_conversation(session, identity, community)
            session.add(Message(conversation_id=conv.id, direction="in", sender="resident", text=text,
                                parse=dict(parse), intent=parse["intent"]["name"],
                                confidence=float(parse["intent"]["confidence"])))
            await open_escalation(session, conv, "error")
            state = copy.deepcopy(conv.state or {})
            state["handoff_notified"] = True
            conv.state = state
            session.add(Message(conversation_id=conv.id, direction="out", sender="bot", text=reply.text, buttons=[]))
            result = TurnResult(conv.id, conv.token, [reply], handoff=True)
            if msg.message_id:
                session.add(ProcessedInbound(channel=msg.channel, sender=msg.sender, message_id=msg.message_id,
                                             conversation_id=conv.id, response=result.as_dict()))
        return result

    async def _turn(
        self, msg: InboundMessage, text: str, truncated: bool, parse: ParseResult, special: str | None,
        now: dt.datetime,
    ) -> TurnResult:
        async with self.sessionmaker() as session, session.begin():
            if msg.message_id:
                done = await self._already_processed(session, msg)
                if done is not None:
                    return done
            conv = await residents.conversation_of_sender(session, msg.channel, msg.sender)
            if conv is not None and not (msg.community and msg.community != conv.community.code):
                identity = conv.identity
                residents.touch_identity(identity, msg.chat_id)
            else:
                identity, community = await self._sender(session, msg)
                conv, _ = await residents.ensure_conversation(session, identity, community)
            if msg.community_locked and conv.community.code != msg.community:
                raise InvalidInput("this sender belongs to another community")
            # A deep copy: mutating the loaded JSON in place would make the new state equal to the "old"
            # one, and SQLAlchemy would then see no change to write.
            state: dict[str, Any] = copy.deepcopy(conv.state or {})
            slots = state.setdefault("slots", {})
            _set_elderly(identity, msg)
            slots.update({"community": conv.community.code, "channel": msg.channel,
                          "elderly": bool(identity.resident.elderly_mode) or msg.channel == "voice"})
            said = text  # what the resident wrote; a pick of an offered choice is handled as its payload
            picked = None if conv.status == "handoff" else await self._pick(session, conv.id, state, text, parse)
            if picked is not None:
                parse, text = self._parse_pick(picked, now, msg.community), picked.payload
            inbound = _message_row(conv.id, "in", "resident", said, parse=dict(parse),
                                   intent=parse["intent"]["name"], confidence=float(parse["intent"]["confidence"]))
            lead, rest = split_greeting(text)
            greeted = bool(lead and rest and parse["intent"]["name"] != "greet")
            # 喂喂 听得到吗 那个老年卡怎么办: the actions work on the request; the greeting is kept aside.
            turn = Turn(session=session, conversation=conv, state=state, parse=parse,
                        text=rest if greeted else text, greeting=lead if greeted else "",
                        channel=msg.channel, now=now, domain=self.domain, actions=self.actions)
            turn.state["metadata"] = photos.gather(state, _safe_metadata(msg.metadata), now)
            if conv.status == "handoff":
                if await during_handoff(turn, self.settings.nlu_fallback_threshold):
                    pass  # danger is answered at once, even while staff have the conversation
                elif not state.get("handoff_notified"):
                    turn.utter("utter_handoff_waiting")
                    state["handoff_notified"] = True
            else:
                if truncated:
                    turn.utter("utter_message_truncated")
                if special:
                    turn.utter(special)
                else:
                    await decide(turn, self.settings.nlu_fallback_threshold)
                if not turn.replies:
                    turn.utter("utter_default")
                if conv.status == "handoff":
                    state["handoff_notified"] = True  # the handoff reply already said staff will answer
            state.pop("metadata", None)
            photos.settle(state, [e.kind for e in turn.events])
            choices.remember(state, turn.replies)
            if msg.channel == "voice" and self.speech is not None:
                choices.speak_all(turn.replies, self.domain.render, self.speech)
            elif msg.channel in self.settings.plain_text_channels:
                choices.write_out(turn.replies, self.domain.render)
            # The resident's message and the replies in one statement, the message first (ids give the
            # order): written here rather than as ORM objects, the turn's hottest write skips the unit of
            # work; render_nulls keeps a NULL column in every row, so all rows batch into one INSERT.
            await session.execute(insert(Message).execution_options(render_nulls=True), [inbound, *(
                _message_row(conv.id, "out", "bot", r.text, buttons=[b.as_dict() for b in r.buttons], speech=r.speech)
                for r in turn.replies)])
            conv.state = state
            result = TurnResult(conv.id, conv.token, turn.replies, handoff=conv.status == "handoff",
                                events=turn.events)
            if msg.message_id:
                session.add(ProcessedInbound(channel=msg.channel, sender=msg.sender, message_id=msg.message_id,
                                             conversation_id=conv.id, response=result.as_dict()))
            await session.flush()
            return result

    async def _pick(
        self, session: AsyncSession, conversation_id: int, state: dict[str, Any], text: str, parse: ParseResult,
    ) -> choices.Choice | None:
        """The offered choice this message picks by number or by name, if any (see bot.dialogue.choices)."""
        if not text or len(text) > 40:
            return None
        offered = await choices.offered(session, conversation_id, state)
        number_asked = state.get("requested_slot") in choices.NUMBER_SLOTS
        return choices.pick(text, offered, parse.get("entities", []), number_asked=number_asked)

    def _parse_pick(self, picked: choices.Choice, now: dt.datetime, community: str | None) -> ParseResult:
        """The parse of a picked choice: as if its button had been pressed."""
        return self.parse(picked.payload, now=now.astimezone(ZoneInfo(self._timezone(community))))

    def speak(self, reply: Reply) -> str:
        """Speakable text for a reply, its choices read out: for messages pushed to voice residents later."""
        said = choices.spoken(reply, self.domain.render)
        return self.speech(said) if self.speech is not None else said

    async def _already_processed(self, session: AsyncSession, msg: InboundMessage) -> TurnResult | None:
        stmt = select(ProcessedInbound).where(
            ProcessedInbound.channel == msg.channel, ProcessedInbound.sender == msg.sender,
            ProcessedInbound.message_id == msg.message_id,
        )
        done = (await session.execute(stmt)).scalar_one_or_none()
        if done is None:
            return None
        resp = done.response
        replies = [Reply(r["text"], [Button(b["title"], b["payload"]) for b in r.get("buttons", [])], r.get("speech"))
                   for r in resp.get("replies", [])]
        events = [DomainEvent(e["kind"], e["number"]) for e in resp.get("events", [])]
        return TurnResult(resp["conversation_id"], resp["conversation_token"], replies, duplicate=True,
                          events=events)

    async def _sender(self, session: AsyncSession, msg: InboundMessage) -> tuple[ChannelIdentity, Community]:
        """The sender's identity and community, created on first contact (one query when known)."""
        identity = await residents.find_identity(session, msg.channel, msg.sender)
        if identity is not None:
            if msg.community and msg.community != identity.resident.community.code:
                await self._community(session, msg.community)  # an unknown code is still refused
            residents.touch_identity(identity, msg.chat_id)
            return identity, identity.resident.community
        community = await self._community(session, msg.community or self.settings.default_community)
        identity = await residents.ensure_identity(session, msg.channel, msg.sender, community, msg.chat_id)
        return identity, community

    async def _community(self, session: AsyncSession, code: str) -> Community:
        """A community by code: created from its settings file on first use, refused when unknown."""
        existing = await residents.get_community(session, code)
        if existing is not None:
            return existing
        settings = self.communities.get(code)
        if settings is None and code != self.settings.default_community:
            raise InvalidInput(f"unknown community {code!r}")
        return await residents.ensure_community(session, code, settings.name if settings else code)

    async def conversation(self, conversation_id: int) -> Conversation | None:
        """A conversation by id (for channels that deliver staff replies)."""
        async with self.sessionmaker() as session:
            return await session.get(Conversation, conversation_id)


def _message_row(conversation_id: int, direction: str, sender: str, text: str, *,
                 buttons: list[dict[str, Any]] | None = None, speech: str | None = None,
                 parse: dict[str, Any] | None = None, intent: str | None = None,
                 confidence: float | None = None) -> dict[str, Any]:
    """One row of `messages`; every row names every column, so several go in one executemany."""
    return {"conversation_id": conversation_id, "direction": direction, "sender": sender, "text": text,
            "buttons": buttons, "speech": speech, "parse": parse, "intent": intent, "confidence": confidence}


# Identifiers as the database stores them: column lengths, and no control characters (PostgreSQL refuses a
# NUL) or lone surrogates. Every channel's identifiers pass here, whatever its own edge checked.
_IDENTIFIER_LIMITS = (("sender", 128), ("message_id", 128), ("community", 64), ("chat_id", 64))


def _check_identifiers(msg: InboundMessage) -> None:
    for name, limit in _IDENTIFIER_LIMITS:
        value = getattr(msg, name)
        if value is None:
            continue
        if (not value and name == "sender") or len(value) > limit or any(
                ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise InvalidInput(f"{name} must be 1 to {limit} printable characters")


def _set_elderly(identity: ChannelIdentity, msg: InboundMessage) -> None:
    """`metadata.elderly` (true or false) switches the resident's elderly mode, kept for later turns."""
    flag = msg.metadata.get("elderly") if isinstance(msg.metadata, dict) else None
    if isinstance(flag, bool) and identity.resident.elderly_mode != flag:
        identity.resident.elderly_mode = flag


def _safe_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Keep only small, plain metadata (location, photo file id) for actions to read."""
    out: dict[str, Any] = {}
    for key in ("location", "photo", "photos", "latitude", "longitude", "elderly"):
        value = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(value, (str, int, float, bool)) or (isinstance(value, (list, dict)) and len(str(value)) < 2000):
            out[key] = value
    return out
