"""What a rating is about: the ticket named, else what the resident received lately, chosen by their words.

A resident says 差评 or 饭菜太咸了 without a number. The candidates are their work orders closed as 已办结
and their bookings whose time has come (never a cancelled or missed one) in the last weeks, those not yet rated
first; the words narrow them (a service named, 饭菜 for the canteen, 修 for a work order, words of the
order's description). One left is the subject; several are offered as choices; none makes the rating
one of the community's service in general, which the resident is told.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from actions.judgement import Reading
from actions.runtime import ActionServices
from bot.backend import bookings, workorders
from bot.backend.models import Booking, WorkOrder
from bot.backend.ratings import completed_work_orders, rated_subjects, used_bookings
from bot.backend.statuses import BookingStatus
from bot.ticket_numbers import is_booking, is_work_order
from knowledge.schema import Service

# How far back a closed work order or a used booking is still "the one just received".
RECENT = dt.timedelta(days=30)
MAX_CHOICES = 4
_ORDINAL = re.compile(r"^(?:第)?([一二三四1-4])(?:个|项|条)?$")
_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4}
# Two characters in common with an order's description or a service's name name it (楼道灯 in 楼道灯坏了),
# unless they are words every sentence has.
_COMMON = frozenset({"那个", "这个", "就是", "一下", "我们", "你们", "社区", "服务", "上次", "师傅"})


@dataclass(frozen=True)
class Subject:
    """One thing the resident may rate, with how to name it to them and how they may name it."""

    kind: str                    # work_order | booking | conversation
    id: int                      # 0 for the conversation, filled in when stored
    service_id: str | None = None
    number: str = ""             # GD… / YY…
    label: str = ""              # 工单GD…（楼道灯坏了） / 助浴 12月15日 / 社区助餐服务
    words: tuple[str, ...] = field(default_factory=tuple)

    @property
    def general(self) -> bool:
        """A rating of the community's service in general, not of a received one."""
        return self.kind == "conversation"

    def as_dict(self) -> dict[str, Any]:
        """For the `expecting` slot."""
        return {**asdict(self), "words": list(self.words)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Subject:
        """Back from the `expecting` slot."""
        return cls(kind=str(data["kind"]), id=int(data.get("id") or 0), service_id=data.get("service_id"),
                   number=str(data.get("number") or ""), label=str(data.get("label") or ""),
                   words=tuple(str(w) for w in data.get("words") or ()))


@dataclass(frozen=True)
class Found:
    """The outcome of looking: a subject, or choices to offer; `unknown_service` when the words named a
    service the resident has no record of (the rating is then one of that service in general)."""

    subject: Subject | None
    choices: tuple[Subject, ...] = ()
    unknown_service: str | None = None


def short_name(service: Service | None, fallback: str = "服务") -> str:
    """助浴 for 助浴上门服务: the shortest alias inside the name, which is how residents say it."""
    if service is None:
        return fallback
    inside = [a for a in service.aliases if len(a) >= 2 and a in service.name]
    return min(inside, key=len) if inside else service.name


def general(services: ActionServices, service_id: str | None) -> Subject:
    """The community's service in general, or one service of it in general."""
    service = services.catalog.get(service_id) if service_id else None
    if service is None:
        return Subject("conversation", 0, label="社区服务")
    return Subject("conversation", 0, service_id=service.id, label=f"社区{short_name(service)}服务")


def of_work_order(order: WorkOrder) -> Subject:
    """A work order as the resident knows it: its number and what it was about."""
    what = order.description.strip()[:10]
    return Subject("work_order", order.id, order.service_id, order.number, f"工单{order.number}（{what}）",
                   words=tuple(w for w in (order.description, order.location or "", order.category) if w))


def of_booking(booking: Booking, services: ActionServices, tz: str) -> Subject:
    """A booking as the resident knows it: the service and the day (助浴 12月3日)."""
    service = services.catalog.get(booking.service_id)
    day = booking.slot.start_at.astimezone(ZoneInfo(tz)).date()
    name = short_name(service, booking.service_id)
    words = (name, service.name, *service.aliases) if service else (name,)
    return Subject("booking", booking.id, booking.service_id, booking.number, f"{name} {day.month}月{day.day}日",
                   words=tuple(words))


async def named(session: AsyncSession, services: ActionServices, resident_id: int, tz: str,
                number: str) -> Subject | None:
    """The resident's work order or booking by the number they gave (or part of it); never a cancelled or missed one."""
    number = number.strip().upper()
    if not number:
        return None
    if not is_booking(number):
        order = await workorders.find_for_resident(session, resident_id, number)
        if order is not None:
            return of_work_order(order)
    if not is_work_order(number):
        booking = await bookings.find_for_resident(session, resident_id, number)
        if booking is not None and booking.status not in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            return of_booking(booking, services, tz)
    return None


async def candidates(session: AsyncSession, services: ActionServices, resident_id: int, tz: str,
                     now: dt.datetime) -> list[Subject]:
    """What the resident received lately, those not yet rated first (the rated ones only if none is left)."""
    since = now - RECENT
    found = [of_work_order(o) for o in await completed_work_orders(session, resident_id, since)]
    found += [of_booking(b, services, tz) for b in await used_bookings(session, resident_id, now, since)]
    rated = await rated_subjects(session, resident_id)
    unrated = [s for s in found if (s.kind, s.id) not in rated]
    return unrated or found


def narrow(subjects: list[Subject], reading: Reading, text: str) -> list[Subject]:
    """The subjects the words point at: a service named, a kind of thing, words they share; each step
    only when it leaves at least one, so vague words keep every subject."""
    out = subjects
    for keep in (
        lambda s: s.service_id in reading.services,
        lambda s: s.kind == reading.kind,
        lambda s: _shares_words(s, text),
    ):
        picked = [s for s in out if keep(s)]
        if picked:
            out = picked
    return out


def fits(subject: Subject, reading: Reading, text: str) -> bool:
    """Whether the words can be about this subject: they name no other service and no other kind."""
    if _shares_words(subject, text):
        return True
    if reading.services and subject.service_id not in reading.services:
        return False
    return reading.kind is None or reading.kind == subject.kind


def _shares_words(subject: Subject, text: str) -> bool:
    for word in subject.words:
        if len(word) >= 2 and word in text:
            return True
        match = SequenceMatcher(None, text, word, autojunk=False).find_longest_match(0, len(text), 0, len(word))
        if match.size >= 2 and text[match.a:match.a + match.size] not in _COMMON:
            return True
    return False


async def find(session: AsyncSession, services: ActionServices, resident_id: int, tz: str, now: dt.datetime,
               reading: Reading, text: str) -> Found:
    """The subject of a rating given without a number (see the module docstring)."""
    everything = await candidates(session, services, resident_id, tz, now)
    named_service = next((s for s in reading.services if services.catalog.get(s) is not None), None)
    if named_service and not any(s.service_id in reading.services or _shares_words(s, text) for s in everything):
        return Found(general(services, named_service), unknown_service=named_service)
    left = narrow(everything, reading, text)
    if not left:
        return Found(general(services, None))
    if len(left) == 1:
        return Found(left[0])
    return Found(None, tuple(left[:MAX_CHOICES]))


def pick(choices: list[Subject], reading: Reading, text: str, number: str | None) -> Subject | None:
    """The choice the resident's answer names: by number, by order (第二个), or by words; None if unclear."""
    if number:
        wanted = number.strip().upper()
        return next((c for c in choices if c.number and (c.number == wanted or c.number.endswith(wanted))), None)
    m = _ORDINAL.match(text.strip(" 。，,.!！吧啊的"))
    if m:
        index = _ORDINALS.get(m.group(1)) or int(m.group(1))
        return choices[index - 1] if index <= len(choices) else None
    if not (reading.services or reading.kind or any(_shares_words(c, text) for c in choices)):
        return None
    left = narrow(choices, reading, text)
    return left[0] if len(left) == 1 else None


__all__ = ["Found", "Subject", "candidates", "find", "fits", "general", "named", "narrow", "pick", "short_name"]
