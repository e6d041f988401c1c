"""Running conversation tests through the real engine, on a fixed clock and a fresh database each.

Every conversation gets its own SQLite file (a copy of one migrated template), so bookings in one do
not fill the slots of another; the NLU model and the retrieval index are loaded once and shared. The
clock is fixed at the suite date's local time and moves only when a step says so.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.rating import rating_buttons
from bot.backend import staff_actions
from bot.backend.migrate import upgrade
from bot.backend.models import (
    Booking,
    Escalation,
    Message,
    Rating,
    StaffUser,
    VolunteerSignup,
    WorkOrder,
)
from bot.backend.models import (
    Conversation as ConversationRow,
)
from bot.backend.residents import get_community
from bot.backend.staff import create_staff
from bot.backend.statuses import WorkOrderStatus
from bot.bootstrap import Runtime, build_runtime
from bot.config import Settings
from bot.conversation_tests.spec import Conversation, Expect, StaffStep, Step, parse_duration
from bot.dialogue.engine import InboundMessage, TurnResult
from bot.nlu.types import NluParser
from knowledge.loader import load_catalog

# The days every conversation runs on: a Friday, a Saturday, a Sunday and a public holiday (国庆).
SUITE_DATES = (dt.date(2026, 12, 11), dt.date(2026, 12, 12), dt.date(2026, 12, 13), dt.date(2026, 10, 1))
DEFAULT_TIME = dt.time(10, 0)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# What the engine says when a turn fails: never acceptable in a conversation test.
ERROR_REPLY = "系统出了点问题"
QUESTION_END = re.compile(r"[？?]\s*$")


class FixedClock:
    """A clock that stands still until told to move (the conversation runner's and the test suite's)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, span: dt.timedelta) -> None:
        """Move time on (or back, with a negative span)."""
        self.now += span

    @property
    def today(self) -> dt.date:
        """The local date in the default time zone (Asia/Shanghai)."""
        return self.now.astimezone(LOCAL_TZ).date()


@dataclass
class Outcome:
    """How one conversation went on one date."""

    name: str
    category: str
    persona: str
    date: str
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """The resident finished the task and nothing went wrong on the way."""
        return not self.failures


class Harness:
    """Shared, loaded-once pieces of a run: settings, NLU, retriever and a migrated database template."""

    def __init__(self, settings: Settings, *, nlu: NluParser | None = None, retriever: Any = None) -> None:
        from bot.bootstrap import build_nlu, build_retriever

        self.settings = settings
        self.nlu = nlu if nlu is not None else build_nlu(settings)
        self.retriever = retriever if retriever is not None else build_retriever(settings)
        self._tmp = tempfile.TemporaryDirectory(prefix="linli-conversations-")
        self.catalog = load_catalog(settings.catalog_dir)
        self.template = Path(self._tmp.name) / "template.db"
        upgrade(f"sqlite:///{self.template}")
        self._count = 0

    def close(self) -> None:
        """Remove the temporary databases."""
        self._tmp.cleanup()

    def runtime(self, clock: FixedClock) -> Runtime:
        """A runtime on a fresh copy of the template database."""
        self._count += 1
        path = Path(self._tmp.name) / f"c{self._count}.db"
        shutil.copy(self.template, path)
        settings = self.settings.model_copy(update={"database_url": f"sqlite:///{path}"})
        return build_runtime(settings, nlu=self.nlu, retriever=self.retriever, clock=clock, catalog=self.catalog)

    async def run(self, conv: Conversation, day: dt.date) -> Outcome:
        """Play one conversation on one day and judge it."""
        start = _start(conv, day, self.settings)
        clock = FixedClock(start)
        runtime = self.runtime(clock)
        outcome = Outcome(conv.name, conv.category, conv.persona, start.date().isoformat())
        try:
            await _Player(runtime, conv, clock, outcome).play()
        except Exception as exc:  # a crash is a failed conversation, reported with the rest
            outcome.failures.append(f"crashed: {exc.__class__.__name__}: {exc}")
        finally:
            await runtime.close()
            Path(runtime.settings.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return outcome


def _start(conv: Conversation, day: dt.date, settings: Settings) -> dt.datetime:
    if conv.now is not None:
        now = conv.now
        return now if now.tzinfo else now.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    at = dt.time.fromisoformat(conv.time) if conv.time else DEFAULT_TIME
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo("Asia/Shanghai"))


class _Player:
    """Plays the steps of one conversation and checks each expectation."""

    def __init__(self, runtime: Runtime, conv: Conversation, clock: FixedClock, outcome: Outcome) -> None:
        self.runtime = runtime
        self.conv = conv
        self.clock = clock
        self.outcome = outcome
        self.sender = f"conv-{abs(hash(conv.name)) % 10**8:08d}-{outcome.date}"
        self.last: TurnResult | None = None
        self.seq = 0
        # The question of the previous turn and how many turns in a row have asked it.
        self.streak: tuple[str, int] = ("", 0)
        self.loops: list[str] = []

    @property
    def today(self) -> dt.date:
        return self.clock.today

    def fail(self, index: int, step: Step | None, what: str) -> None:
        said = f" 「{step.user}」" if step is not None and step.user is not None else ""
        self.outcome.failures.append(f"step {index + 1}{said}: {what}")

    async def play(self) -> None:
        for index, step in enumerate(self.conv.steps):
            if step.advance is not None:
                self.clock.advance(parse_duration(step.advance))
                continue
            if step.staff is not None:
                await self._staff(step.staff)
                continue
            text = self._text_of(index, step)
            if text is None:
                return
            await self._say(text, step.metadata)
            await self._check(index, step, step.expect)
        self._check_questions()
        await self._check_records()

    def _text_of(self, index: int, step: Step) -> str | None:
        if step.user is not None:
            return step.user
        buttons = [b for r in (self.last.replies if self.last else []) for b in r.buttons]
        if step.choose is not None:
            if not 1 <= step.choose <= len(buttons):
                self.fail(index, step, f"no choice {step.choose} among {[b.title for b in buttons]}")
                return None
            return buttons[step.choose - 1].payload
        for b in buttons:
            if step.press is not None and step.press in b.title:
                return b.payload
        self.fail(index, step, f"no button with {step.press!r} among {[b.title for b in buttons]}")
        return None

    async def _say(self, text: str, metadata: dict[str, Any]) -> None:
        self.seq += 1
        meta = dict(metadata)
        if self.conv.elderly is not None:
            meta.setdefault("elderly", self.conv.elderly)
        self.last = await self.runtime.dialogue.handle(InboundMessage(
            sender=self.sender, text=text, channel=self.conv.resolved_channel,
            community=self.conv.resolved_community, message_id=f"m{self.seq}", metadata=meta,
        ))
        self.outcome.transcript.append(f"居民：{text}")
        question = ""
        for r in self.last.replies:
            buttons = " ".join(f"[{b.title}]" for b in r.buttons)
            self.outcome.transcript.append(f"邻里：{r.text} {buttons}".rstrip())
            if QUESTION_END.search(r.text):
                question = r.text.strip()
        times = self.streak[1] + 1 if question and question == self.streak[0] else 1
        self.streak = (question, times)
        if question and times == 3:
            self.loops.append(question)

    async def _check(self, index: int, step: Step, expect: Expect) -> None:
        assert self.last is not None
        replies = "\n".join(r.text for r in self.last.replies)
        speech = "\n".join(r.speech or r.text for r in self.last.replies)
        titles = [b.title for r in self.last.replies for b in r.buttons]
        if ERROR_REPLY in replies:
            self.fail(index, step, f"the turn failed: {replies!r}")
        for text in expect.contains:
            if text not in replies:
                self.fail(index, step, f"reply lacks {text!r}: {replies!r}")
        if expect.any_of and not any(t in replies for t in expect.any_of):
            self.fail(index, step, f"reply has none of {expect.any_of}: {replies!r}")
        for text in expect.not_contains:
            if text in replies:
                self.fail(index, step, f"reply should not say {text!r}: {replies!r}")
        for text in expect.speech_contains:
            if text not in speech:
                self.fail(index, step, f"speech lacks {text!r}: {speech!r}")
        for text in expect.buttons:
            if not any(text in t for t in titles):
                self.fail(index, step, f"no button with {text!r} among {titles}")
        if expect.no_buttons and titles:
            self.fail(index, step, f"expected no buttons, got {titles}")
        if expect.handoff is not None and self.last.handoff != expect.handoff:
            self.fail(index, step, f"handoff is {self.last.handoff}, expected {expect.handoff}")
        if expect.intent or expect.slots or expect.form or expect.requested:
            await self._check_state(index, step, expect)

    async def _check_state(self, index: int, step: Step, expect: Expect) -> None:
        assert self.last is not None
        async with self.runtime.sessionmaker() as session:
            conv = await session.get(ConversationRow, self.last.conversation_id)
            assert conv is not None
            state = conv.state or {}
            stmt = (select(Message.intent).where(Message.conversation_id == conv.id, Message.direction == "in")
                    .order_by(Message.id.desc()).limit(1))
            intent = (await session.execute(stmt)).scalar_one_or_none()
        if expect.intent and intent != expect.intent:
            self.fail(index, step, f"intent {intent}, expected {expect.intent}")
        slots = state.get("slots") or {}
        for name, wanted in expect.slots.items():
            if not _matches(name, wanted, slots.get(name), self.today):
                self.fail(index, step, f"slot {name} is {slots.get(name)!r}, expected {wanted!r}")
        if expect.form is not None:
            form = state.get("active_form") or "none"
            if form != expect.form:
                self.fail(index, step, f"form {form}, expected {expect.form}")
        if expect.requested is not None:
            requested = state.get("requested_slot") or "none"
            if requested != expect.requested:
                self.fail(index, step, f"asking for {requested}, expected {expect.requested}")

    def _check_questions(self) -> None:
        for question in self.loops:
            self.outcome.failures.append(f"asked three times in a row: {question!r}")

    async def _staff(self, step: StaffStep) -> None:
        assert self.last is not None, "staff act on a conversation the resident has started"
        async with self.runtime.sessionmaker() as session, session.begin():
            staff = await _staff_user(session, self.conv.resolved_community or self.runtime.settings.default_community)
            conv_id = self.last.conversation_id
            if step.work_order:
                stmt = (select(WorkOrder).where(WorkOrder.conversation_id == conv_id)
                        .order_by(WorkOrder.id.desc()).limit(1))
                order = (await session.execute(stmt)).scalar_one()
                status = {"accept": WorkOrderStatus.ACCEPTED, "close": WorkOrderStatus.DONE,
                          "reject": WorkOrderStatus.CLOSED}[step.work_order]
                await staff_actions.change_work_order_status(session, order, staff, status, note="",
                                                             now=self.clock(), rating_buttons=rating_buttons)
            if step.reply or step.release:
                stmt2 = (select(Escalation).where(Escalation.conversation_id == conv_id)
                         .order_by(Escalation.id.desc()).limit(1))
                esc = (await session.execute(stmt2)).unique().scalar_one()
                if step.reply:
                    await staff_actions.reply(session, esc, staff, step.reply)
                if step.release:
                    await staff_actions.hand_back(session, esc, staff)

    async def _check_records(self) -> None:
        if self.last is None:
            return
        records = self.conv.records
        async with self.runtime.sessionmaker() as session:
            conv = await session.get(ConversationRow, self.last.conversation_id)
            assert conv is not None
            rid = conv.resident_id
            tz = ZoneInfo("Asia/Shanghai")
            if records.bookings is not None:
                rows = (await session.execute(select(Booking).where(Booking.resident_id == rid)
                                              .order_by(Booking.id))).unique().scalars()
                actual = [{"service": b.service_id, "date": b.slot.start_at.astimezone(tz).date().isoformat(),
                           "time": b.slot.start_at.astimezone(tz).strftime("%H:%M"), "people": b.people,
                           "status": b.status, "name": b.name, "phone": b.phone, "address": b.address} for b in rows]
                self._compare("bookings", records.bookings, actual)
            if records.work_orders is not None:
                orders = (await session.execute(select(WorkOrder).where(WorkOrder.resident_id == rid)
                                                .order_by(WorkOrder.id))).scalars()
                actual = [{"category": o.category, "description": o.description, "location": o.location,
                           "phone": o.contact_phone, "status": o.status, "urgent": o.urgent,
                           "service": o.service_id, "photos": len(o.attachments or [])} for o in orders]
                self._compare("work_orders", records.work_orders, actual)
            if records.ratings is not None:
                ratings = (await session.execute(select(Rating).where(Rating.resident_id == rid)
                                                 .order_by(Rating.id))).scalars()
                actual = [{"score": r.score, "grade": r.grade, "label": r.label, "comment": r.comment,
                           "subject": r.subject_type, "service": r.service_id,
                           "follow_up": r.follow_up_status} for r in ratings]
                self._compare("ratings", records.ratings, actual)
            if records.escalations is not None:
                escs = (await session.execute(select(Escalation).where(Escalation.conversation_id == conv.id)
                                              .order_by(Escalation.id))).unique().scalars()
                actual = [{"reason": e.reason, "urgent": e.urgent, "status": e.status, "kind": e.kind,
                           "location": e.location} for e in escs]
                self._compare("escalations", records.escalations, actual)
            if records.volunteers is not None:
                vols = (await session.execute(select(VolunteerSignup).where(VolunteerSignup.resident_id == rid)
                                              .order_by(VolunteerSignup.id))).scalars()
                actual = [{"activity": v.activity, "name": v.name, "phone": v.phone} for v in vols]
                self._compare("volunteers", records.volunteers, actual)

    def _compare(self, kind: str, wanted: list[dict[str, Any]], actual: list[dict[str, Any]]) -> None:
        if len(wanted) != len(actual):
            self.outcome.failures.append(f"{kind}: expected {len(wanted)}, found {len(actual)}: {actual}")
            return
        for want, got in zip(wanted, actual, strict=True):
            for key, value in want.items():
                if key not in got:
                    self.outcome.failures.append(f"{kind}: no field {key!r} (fields: {sorted(got)})")
                elif not _matches(key, value, got[key], self.today):
                    self.outcome.failures.append(f"{kind}: {key} is {got[key]!r}, expected {value!r}")


def _matches(name: str, wanted: Any, actual: Any, today: dt.date) -> bool:
    """Whether a slot or field value is what the test wants.

    Dates are days from the suite date (`1` or `"+1"` is tomorrow); a string starting with `~` must
    appear within the value; `null` means unset.
    """
    if name == "date" and isinstance(wanted, int | str) and re.fullmatch(r"[+-]?\d{1,2}", str(wanted)):
        return actual == (today + dt.timedelta(days=int(str(wanted)))).isoformat()
    if isinstance(wanted, str) and wanted.startswith("~"):
        return actual is not None and wanted[1:] in str(actual)
    if isinstance(wanted, int | float) and not isinstance(wanted, bool) and isinstance(actual, int | float):
        return float(wanted) == float(actual)
    return bool(wanted == actual)


async def _staff_user(session: AsyncSession, community_code: str) -> StaffUser:
    stmt = select(StaffUser).where(StaffUser.username == f"staff-{community_code}")
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    community = await get_community(session, community_code)
    return await create_staff(session, f"staff-{community_code}", "conversation-tests-only", community=community,
                              display_name="值班员")


__all__ = ["SUITE_DATES", "FixedClock", "Harness", "Outcome"]
