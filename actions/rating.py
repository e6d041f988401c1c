"""好差评: taking a rating as residents give it, over as many messages as they need, and following up poor ones.

One exchange makes one rating. It starts with a grade (差评, 五星, a button), a verdict (饭菜太咸了,
师傅态度挺好的) or a pushed rating request; it asks what is not clear yet, which thing when several were
received lately and which grade when the words do not say, keeping the resident's words as the comment;
and once stored, a later score (1分) or remark (就是饭太咸) in the same exchange amends that rating
rather than making another. Its state is the `expecting` slot (kind `rating`, see bot/dialogue/policy.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions import hours as community_hours
from actions import judgement, rating_subjects
from actions.common import Context, format_day, load_context
from actions.judgement import Reading
from actions.rating_subjects import Subject
from actions.runtime import ActionServices, get_services, session_scope
from bot.backend import escalations
from bot.backend.models import Escalation, Rating
from bot.backend.ratings import (
    LABELS,
    add_comment,
    amend_score,
    record_rating,
    requested_rating,
)
from bot.nlu.payload import make_payload

KIND = "rating"
# How long an answer is awaited, and a later score or remark amends a stored rating.
EXCHANGE_LIFETIME = dt.timedelta(minutes=30)
# A question is asked at most twice; then the exchange ends without guessing.
ASK_LIMIT = 2
_NONE_OF_THESE = re.compile(r"^(都不是|都不对|不是这些|不是这几个|别的|其他的?|整体)")


def rating_buttons(ticket: str | None = None) -> list[dict[str, str]]:
    """The five grades as buttons, carrying what is being rated."""
    out = []
    for score in (5, 4, 3, 2, 1):
        ents: dict[str, object] = {"rating": score}
        if ticket:
            ents["ticket_id"] = ticket
        out.append({"title": LABELS[score], "payload": make_payload("rate_service", ents)})
    return out


def _choice_buttons(choices: list[Subject]) -> list[dict[str, str]]:
    out = [{"title": c.label, "payload": make_payload("rate_service", {"ticket_id": c.number})} for c in choices]
    out.append({"title": "都不是", "payload": make_payload("rate_service", {"target": "general"})})
    return out


@dataclass
class Exchange:
    """Where a rating exchange stands, kept in the `expecting` slot between messages."""

    stage: str = "new"                 # new | subject (which thing?) | grade (which grade?) | done
    comment: str = ""
    score: int | None = None
    subject: dict[str, Any] | None = None
    choices: list[dict[str, Any]] = field(default_factory=list)
    rating_id: int | None = None
    asked: int = 0                     # times the pending question was asked
    told_general: bool = False         # the resident heard that nothing received matched
    at: str = ""                       # when the assistant last spoke in this exchange (ISO)

    def current(self, now: dt.datetime) -> bool:
        """Whether the exchange is still going on: a grade or a remark an hour later is something new."""
        try:
            return now - dt.datetime.fromisoformat(self.at) <= EXCHANGE_LIFETIME
        except ValueError:
            return False

    @classmethod
    def from_slot(cls, value: Any) -> Exchange | None:
        """The exchange in the slot, or None when the slot holds something else."""
        if not isinstance(value, dict) or value.get("kind") != KIND:
            return None
        known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
        return cls(**known)

    def slot(self, now: dt.datetime) -> SlotSet:
        """The slot event that keeps this exchange, as of now."""
        self.at = now.isoformat()
        return SlotSet("expecting", {"kind": KIND, **asdict(self)})


async def claims(session: AsyncSession, conversation_id: int, text: str, entities: list[Any],
                 expecting: Any) -> bool:
    """Whether a message belongs to the rating whatever the classifier made of it.

    A verdict on a service received always does (the classifier reads 饭菜太咸了 as a request). While a
    grade or a choice is pending, so does a short grade (一般般, 不好), a refusal, or a named choice;
    a short grade also answers a rating request that was the last thing said to the resident. After a
    rating is stored, a verdict or a remark (就是…, 因为…) adds to it; 好的 and 谢谢 go their usual way.
    """
    if text.startswith("/"):
        return False
    reading = judgement.read(text, entities)
    if reading.question:
        return False
    ex = Exchange.from_slot(expecting)
    if ex is not None and not ex.current(get_services().clock()):
        ex = None
    if ex is not None and ex.stage in ("grade", "subject"):
        if (reading.verdict or reading.remark or reading.any_score is not None or reading.declined
                or _NONE_OF_THESE.match(text)):
            return True
        choices = [Subject.from_dict(c) for c in ex.choices]
        return ex.stage == "subject" and rating_subjects.pick(choices, reading, text, None) is not None
    if reading.verdict or (ex is not None and reading.remark):
        return True
    if ex is None and reading.answer_score is not None:
        return await requested_rating(session, conversation_id) is not None
    return False


class ActionRate(Action):
    """Takes a rating as residents give it (see the module docstring)."""

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        text = tracker.latest_message.get("text") or ""
        reading = judgement.read(text, tracker.latest_message.get("entities") or [])
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            turn = _RatingTurn(session, ctx, services, dispatcher, text, reading,
                               ticket=str(next(tracker.get_latest_entity_values("ticket_id"), "") or ""),
                               general=next(tracker.get_latest_entity_values("target"), None) == "general")
            return await turn.handle(Exchange.from_slot(tracker.get_slot("expecting")))


@dataclass
class _RatingTurn:
    """One message of a rating exchange."""

    session: AsyncSession
    ctx: Context
    services: ActionServices
    dispatcher: CollectingDispatcher
    text: str
    reading: Reading
    ticket: str
    general: bool

    @property
    def tz(self) -> str:
        return self.ctx.community.timezone

    async def handle(self, ex: Exchange | None) -> list[Any]:
        if ex is not None and not ex.current(self.services.clock()):
            ex = None
        if ex is not None and ex.stage == "done":
            events = await self._after_stored(ex)
            if events is not None:
                return events
            ex = None
        if ex is not None and ex.stage in ("grade", "subject") and self.reading.declined:
            self.dispatcher.utter_message(response="utter_rate_skipped")
            return [SlotSet("expecting", None)]
        pending = ex is not None and ex.stage in ("grade", "subject")
        if ex is None:
            ex = Exchange()
            requested = await requested_rating(self.session, self.ctx.conversation.id)
            pending = requested is not None
            if requested and not self.ticket:
                # The rating request just received is what the answer is about, unless the words name
                # something else (饭太咸了 after a work order's request is about the canteen).
                asked = await rating_subjects.named(self.session, self.services, self.ctx.resident_id, self.tz,
                                                    requested)
                if asked is not None and rating_subjects.fits(asked, self.reading, self.text):
                    self.ticket = requested
        ex.comment = "，".join(p for p in (ex.comment, self.reading.comment) if p)[:1000]
        score = self.reading.any_score if pending else self.reading.score
        if score is not None:
            ex.score = score
        subject = await self._subject(ex)
        if subject is None:
            return [ex.slot(self.services.clock())]
        if ex.score is None:
            return self._ask_grade(ex, subject)
        return await self._store(ex, subject)

    async def _subject(self, ex: Exchange) -> Subject | None:
        """What is rated; None when a question about it was asked instead."""
        if self.ticket:
            named = await rating_subjects.named(self.session, self.services, self.ctx.resident_id, self.tz,
                                                self.ticket)
            if named is not None:
                return named
        if self.general or (ex.stage == "subject" and _NONE_OF_THESE.match(self.text.strip())):
            return rating_subjects.general(self.services, None)
        if ex.stage == "subject":
            choices = [Subject.from_dict(c) for c in ex.choices]
            chosen = rating_subjects.pick(choices, self.reading, self.text, self.ticket or None)
            if chosen is not None:
                return chosen
            if ex.asked < ASK_LIMIT:
                self._ask_subject(ex, choices)
                return None
            self.dispatcher.utter_message(response="utter_rate_general_unclear")
            return rating_subjects.general(self.services, None)
        if ex.subject is not None:
            return Subject.from_dict(ex.subject)
        found = await rating_subjects.find(self.session, self.services, self.ctx.resident_id, self.tz,
                                           self.services.clock(), self.reading, self.text)
        if found.subject is None:
            ex.asked = 0
            self._ask_subject(ex, list(found.choices))
            return None
        if found.subject.general and not ex.told_general:
            ex.told_general = True
            if found.unknown_service:
                service = rating_subjects.short_name(self.services.catalog.get(found.unknown_service))
                self.dispatcher.utter_message(response="utter_rate_general_service", service=service)
            else:
                self.dispatcher.utter_message(response="utter_rate_general")
        return found.subject

    def _ask_subject(self, ex: Exchange, choices: list[Subject]) -> None:
        ex.stage, ex.choices = "subject", [c.as_dict() for c in choices]
        ex.asked += 1
        response = "utter_ask_rating_subject" if ex.asked == 1 else "utter_ask_rating_subject_again"
        self.dispatcher.utter_message(response=response, choices="，".join(c.label for c in choices),
                                      buttons=_choice_buttons(choices))

    def _ask_grade(self, ex: Exchange, subject: Subject) -> list[Any]:
        if ex.stage == "grade":
            if ex.asked >= ASK_LIMIT:
                self.dispatcher.utter_message(response="utter_rate_skipped")
                return [SlotSet("expecting", None)]
        else:
            ex.stage, ex.asked, ex.choices = "grade", 0, []
        ex.subject = subject.as_dict()
        ex.asked += 1
        if ex.asked > 1:
            response = "utter_ask_rating_again"
        else:
            response = "utter_ask_rating_comment" if ex.comment else "utter_ask_rating"
        self.dispatcher.utter_message(response=response, subject=subject.label,
                                      buttons=rating_buttons(subject.number or None))
        return [ex.slot(self.services.clock())]

    async def _store(self, ex: Exchange, subject: Subject) -> list[Any]:
        conv = self.ctx.conversation
        assert ex.score is not None
        rating = await record_rating(
            self.session, community_id=self.ctx.community_id, resident_id=self.ctx.resident_id,
            subject_type=subject.kind, subject_id=subject.id or conv.id, score=ex.score, comment=ex.comment,
            service_id=subject.service_id,
        )
        response = "utter_rate_thanks_comment" if rating.comment else "utter_rate_thanks"
        self.dispatcher.utter_message(response=response, subject=subject.label, label=rating.label)
        if rating.follow_up_status:
            await self._follow_up()
        done = Exchange(stage="done", rating_id=rating.id, subject=subject.as_dict())
        return [done.slot(self.services.clock())]

    async def _after_stored(self, ex: Exchange) -> list[Any] | None:
        """A later message of an exchange whose rating is stored; None when it starts a new rating."""
        rating = await self.session.get(Rating, ex.rating_id) if ex.rating_id else None
        subject = Subject.from_dict(ex.subject) if ex.subject else None
        if rating is None or subject is None or (self.ticket and self.ticket.upper() != subject.number):
            return None
        requested = await requested_rating(self.session, self.ctx.conversation.id)
        if requested and requested.upper() != subject.number:
            return None  # a rating request about something else came in since: this answers that
        if self.reading.score is not None:
            before = rating.score
            change = amend_score(rating, self.reading.score)
            add_comment(rating, self.reading.comment)
            response = "utter_rate_amended" if rating.score != before else "utter_rate_confirmed"
            self.dispatcher.utter_message(response=response, label=rating.label)
            if change.now_poor:
                await self._follow_up()
            elif change.no_longer_poor:
                await self._withdraw_follow_up(rating)
            return [ex.slot(self.services.clock())]
        if self.reading.comment and not judgement.is_acknowledgement(self.text):
            add_comment(rating, self.reading.comment)
            self.dispatcher.utter_message(response="utter_rate_comment_added")
            return [ex.slot(self.services.clock())]
        self.dispatcher.utter_message(response="utter_ok")
        return [SlotSet("expecting", None)]

    async def _follow_up(self) -> None:
        """A poor rating goes to staff at once, and the resident hears when they will be called."""
        await escalations.open_escalation(self.session, self.ctx.conversation, "bad_rating", urgent=True,
                                          pause=False)
        # A poor rating is a complaint about the service: staff call back within its acknowledgement time,
        # counted in the office's opening hours as every promise to residents is.
        ack = dt.timedelta(hours=self.ctx.community.deadlines.get("投诉", {}).get("ack", 24))
        hours = await community_hours.office_hours(self.session, self.ctx.community_id, self.ctx.community)
        now = self.services.local_now(self.ctx.community.code)
        due = hours.add_open_time(now, ack).astimezone(ZoneInfo(self.tz))
        when = f"{format_day(due.date(), now.date())}{due.strftime('%H:%M')}前"
        self.dispatcher.utter_message(response="utter_rate_followup", when=when)

    async def _withdraw_follow_up(self, rating: Rating) -> None:
        """The resident changed a poor grade into a good one: staff need not call back about it."""
        stmt = select(Escalation).where(Escalation.conversation_id == self.ctx.conversation.id,
                                        Escalation.reason == "bad_rating",
                                        Escalation.status.in_(escalations.OPEN_STATUSES))
        for esc in (await self.session.execute(stmt)).unique().scalars():
            escalations.close(esc, self.ctx.conversation, f"居民已将评价改为{rating.label}")


__all__ = ["KIND", "ActionRate", "Exchange", "claims", "rating_buttons"]
