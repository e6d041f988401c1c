"""Booking a service: validate each answer, offer free slots as buttons, confirm, then book.

What a booking is comes from the catalog (`knowledge.schema.Booking`): sold by the place or a room taken
whole, at the centre or at home (then the address is asked), on some weekdays. The slot a booking is
stored on is always the one of the service, day and time in the summary: whenever one of them changes,
the slot is found again for the new values, or the time is asked again. A day or time said before the
service was known is checked once the service is (帮我约下周三下午 … 助浴).

The wording is in nlu_data/responses/booking.yml.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.ext.asyncio import AsyncSession

from actions.common import (
    ContactSlots,
    Context,
    format_clock,
    format_day,
    load_context,
    phrase,
    response_buttons,
    service_of,
)
from actions.runtime import DomainEvent, get_services, report, session_scope
from actions.slots import (
    MAX_DAYS_AHEAD,
    all_slots,
    date_problem,
    day_buttons,
    exact_time,
    in_window,
    match_time,
    open_days,
    open_slots,
    parse_day,
    places_for,
    slot_buttons,
    slot_left,
    window_of,
)
from bot.backend import bookings
from bot.backend.models import Slot
from bot.masking import mask_phone
from bot.nlu.entities.quantities import party_size
from bot.nlu.mapped_text import MappedText
from bot.nlu.numbers import convert_numbers
from knowledge.schema import Service

# Shared with the other forms' summaries (requests, volunteering).
CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}]
BOOKING_SLOTS = ("service", "date", "time", "slot_id", "people", "address", "name", "phone", "confirmed", "time_wish")
MAX_SERVICE_BUTTONS = 6
# How well the retriever must match a bookable service for it to be offered (fused score, 0–1), and how
# close to the best match: below these the hits are noise, and the usual choices are offered instead.
MIN_RETRIEVAL_SCORE = 0.2
MIN_SHARE_OF_BEST = 0.6
# Words that say "book something" but not what: left out before looking for the service meant.
_BOOKING_TALK = re.compile(
    r"(我|俺|咱)?(想|要|想要|得|需要)?(预约|预订|预定|约|订)(个|一下|一个|一次)?|帮我|帮忙|给我|麻烦|一下|时间|服务|"
    r"请问|你好|您好|那个|就是|嗯|啊|吧|呢|的"
)
_WEEKDAY_NAMES = "一二三四五六日"
# Answers to "还是用王秀英、138****0000吗？": keep it (是, 对 还用这个, 不用换) or give another (换一个, 不是).
_SAME_CONTACT = re.compile(r"不用换|不换|没变|还用|还是用|用这个|就这个|照旧|一样|^(是|对|嗯|好|行|可以|没错|没问题)")
_OTHER_CONTACT = re.compile(r"换一个|换个|换人|换成|不是|不用这|别的|其他|另外|重新|不对")
# A correction said at the name question (不对 改成后天) is not a name.
_CORRECTION = re.compile(r"不对|错了|弄错|改成|改到|换成|换到|不是这")
_NOT_NAME_ENTITIES = {"date", "time", "count", "phone", "service", "ticket_id"}
# Words around an address that are not part of it: 地址是…, 我家在…, …呢.
_ADDRESS_LEAD = re.compile(r"^(嗯|那个|就是|我的|我家的?|家里?的?|上门的?)*(地址|住址)?(是|在|就在|住在)?[:：，, ]*")
_ADDRESS_TAIL = re.compile(r"[，,。.！!]*(呢|吧|啊|哈|呀)?[。.！!]*$")


def weekdays_text(days: list[int]) -> str:
    """周一至周五, 周二、周四: the open weekdays as people say them."""
    days = sorted(days)
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"周{_WEEKDAY_NAMES[days[0]]}至周{_WEEKDAY_NAMES[days[-1]]}"
    return "、".join(f"周{_WEEKDAY_NAMES[d]}" for d in days)



def _people(tracker: Tracker) -> int:
    return party_size(tracker.get_slot("people")) or 1


def _today(tracker: Tracker) -> dt.date:
    return get_services().local_now(tracker.get_slot("community")).date()


def _label(domain: DomainDict, service: Service) -> Any:
    """Titles of slot buttons: places left for a per-person service, a free room for a room."""
    by_room = service.booking is not None and service.booking.unit == "room"

    def label(slot: Slot, hhmm: str) -> str:
        left = slot_left(slot)
        if not by_room:
            return phrase(domain, "utter_booking_slot_places", clock=hhmm, left=left)
        if slot.capacity == 1:
            return phrase(domain, "utter_booking_slot_room", clock=hhmm)
        return phrase(domain, "utter_booking_slot_rooms", clock=hhmm, left=left)

    return label


def _period_words(wish: str) -> str:
    """下午, or 14:00到17:00 for a range."""
    return wish.replace("-", "到")


async def time_question(
    session: AsyncSession, ctx: Context, domain: DomainDict, service: Service, day: dt.date, people: int,
    wish: str | None, today: dt.date,
) -> tuple[str, dict[str, Any], list[dict[str, str]], bool]:
    """What to say when asking for a time on `day`, honouring what was wished (上午, 09:00).

    Returns the response, its values, the buttons, and whether the day has no room at all (the day must
    then be asked again). Never says a part of the day is full while offering a slot in it: the windows
    are the same for choosing and for saying (see actions.slots.PERIODS).
    """
    services = get_services()
    tz = ctx.community.timezone
    free = await open_slots(session, services, ctx, service, day, people)
    values: dict[str, Any] = {"day": format_day(day, today), "service_name": service.name}
    label = _label(domain, service)
    if not free:
        days = await open_days(session, services, ctx, service, today, people)
        return "utter_booking_day_full", values, day_buttons(today, days=days), True
    window = window_of(wish)
    if window is not None:
        values["period"] = _period_words(str(wish))
        inside = [s for s in free if in_window(s, window, tz)]
        if inside:
            return "utter_booking_period_slots", values, slot_buttons(inside, tz, label), False
        in_schedule = [s for s in await all_slots(session, ctx, service, day) if in_window(s, window, tz)]
        response = "utter_booking_period_full" if in_schedule else "utter_booking_period_closed"
        return response, values, slot_buttons(free, tz, label), False
    wanted = exact_time(wish) if wish else None
    if wanted is not None:
        values["clock"] = wanted.strftime("%H:%M")
        scheduled = match_time(await all_slots(session, ctx, service, day), values["clock"], tz)
        by_room = service.booking is not None and service.booking.unit == "room"
        response = ("utter_booking_time_closed" if scheduled is None
                    else "utter_booking_room_taken" if by_room else "utter_booking_time_gone")
        return response, values, slot_buttons(free, tz, label), False
    return "utter_booking_pick_time", values, slot_buttons(free, tz, label), False


def _fit(free: list[Slot], wish: Any, tz: str) -> dict[str, Any]:
    """The slot updates for an exact time that is free; otherwise the time is to be asked, with the wish."""
    slot = match_time(free, str(wish), tz) if wish else None
    if slot is not None:
        return {"time": format_clock(slot.start_at, tz), "slot_id": slot.id, "time_wish": None}
    return {"time": None, "slot_id": None, "time_wish": str(wish) if wish else None}


async def ranked_services(text: str, tracker: Tracker, exclude: str | None = None) -> list[Service]:
    """Bookable services in the order they fit what the resident said: names and colloquial names said
    outright, then the retriever's best matches, then what they booked before; at most six."""
    services = get_services()
    bookable = [s for s in services.catalog.services if s.kind == "bookable" and s.id != exclude]
    ranked: list[Service] = []
    said = _BOOKING_TALK.sub("", text).strip(" ，。,.!！?？") if text and not text.startswith("/") else ""
    if len(said) >= 2:
        named: list[tuple[int, Service]] = []
        for s in bookable:
            words = (s.name, *s.aliases)
            best = max((len(w) for w in words if len(w) >= 2 and (w in said or (len(said) <= 6 and said in w))),
                       default=0)
            if best:
                named.append((best, s))
        ranked.extend(s for _, s in sorted(named, key=lambda x: -x[0]))
        if services.retriever is not None:
            result: Any = services.retriever.search(said, k=30)
            hits = [h for h in result.hits if services.catalog.get(h.service_id) in bookable]
            floor = max(MIN_RETRIEVAL_SCORE, MIN_SHARE_OF_BEST * hits[0].score) if hits else 1.0
            for hit in hits:
                found = services.catalog.get(hit.service_id)
                if found not in ranked and hit.score >= floor:
                    ranked.append(found)  # type: ignore[arg-type]  # in `bookable`, so not None
    async with session_scope() as session:
        ctx = await load_context(session, tracker, services)
        for service_id in await bookings.services_booked(session, ctx.resident_id):
            before = services.catalog.get(service_id)
            if before in bookable and before not in ranked:
                ranked.append(before)  # type: ignore[arg-type]  # in `bookable`, so not None
    return ranked[:MAX_SERVICE_BUTTONS]


def _service_buttons(domain: DomainDict, ranked: list[Service]) -> list[dict[str, str]]:
    buttons = [{"title": s.name, "payload": f'/book_service{{"service":"{s.id}"}}'} for s in ranked]
    return [*buttons, *response_buttons(domain, "utter_booking_more_choices")]


def _latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def _topic(tracker: Tracker) -> str:
    """What the latest message says about the service: without its day, time, count, name or phone."""
    text = _latest_text(tracker)
    if text.startswith("/"):
        return ""
    spans = sorted(
        ((int(e.get("start") or 0), int(e.get("end") or 0)) for e in (tracker.latest_message or {}).get("entities", [])
         if e.get("entity") != "service" and (e.get("end") or 0) > (e.get("start") or 0)),
        reverse=True,
    )
    for start, end in spans:
        text = text[:start] + " " + text[end:]
    return text


async def remembered_contact(tracker: Tracker) -> tuple[str, str] | None:
    """The name and phone of a booking made earlier in this conversation."""
    services = get_services()
    async with session_scope() as session:
        ctx = await load_context(session, tracker, services)
        found = await bookings.latest_contact(session, ctx.conversation.id)
    if found is None or re.search(r'["\\{}]', found[0]):
        return None  # a name that would break the button's payload is simply asked again
    return found


class ValidateBookingForm(ContactSlots, FormValidationAction):
    """Checks service, date, time, people, address, name and phone, saying why when one does not fit."""

    def name(self) -> str:
        return "validate_booking_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        """A visit at home needs the address; a visit to the centre does not."""
        slots = list(domain_slots)
        if "address" in slots:
            service = service_of(get_services(), tracker.get_slot("service"))
            if service is not None and not (service.booking and service.booking.home_visit):
                slots.remove("address")
        return slots

    async def next_requested_slot(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> EventType | None:
        """The engine picks the next question itself (bot.dialogue.policy)."""
        return None

    def party(self, tracker: Tracker) -> int:
        """The people the slot must hold (a reschedule may know them from the booking)."""
        return _people(tracker)

    async def validate_service(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        """Only bookable services; otherwise the bookable ones that fit what was said are offered."""
        services = get_services()
        said = str(value or "").strip()
        if not said:  # 都不是: the resident says it in other words
            dispatcher.utter_message(response="utter_booking_service_say_again")
            return {"service": None}
        service = service_of(services, said)
        if service is not None and service.kind == "bookable":
            out: dict[str, Any] = {"service": service.id}
            out.update(await self._recheck_for_service(dispatcher, tracker, domain, service))
            return out
        text = _topic(tracker)
        query = service.name if service is not None else (text.strip() or said)
        ranked = await ranked_services(query, tracker)
        if service is not None:
            response = "utter_booking_not_bookable" if ranked else "utter_booking_not_bookable_alone"
            dispatcher.utter_message(response=response, service_name=service.name,
                                     buttons=_service_buttons(domain, ranked) if ranked else [])
        elif ranked:
            dispatcher.utter_message(response="utter_booking_service_unknown", buttons=_service_buttons(domain, ranked))
        else:
            dispatcher.utter_message(response="utter_booking_service_say_again")
        return {"service": None}

    async def _recheck_for_service(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                                   service: Service) -> dict[str, Any]:
        """A day and time said before the service was known, checked for it now.

        A closed day is said and asked again; a time becomes the slot when free, otherwise it is kept as
        a wish for the time question. Values being validated in this same turn are left to their own
        validation, which runs next.
        """
        pending = tracker.slots_to_validate()
        day = parse_day(tracker.get_slot("date"))
        if day is None or "date" in pending:
            return {}
        today = _today(tracker)
        problem = date_problem(day, today, service)
        wish = tracker.get_slot("time") or tracker.get_slot("time_wish")
        if problem:
            dispatcher.utter_message(response=problem, **self._day_values(service, day, today))
            return {"date": None, "time": None, "slot_id": None, "time_wish": wish}
        if "time" in pending:
            return {}
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            free = await open_slots(session, services, ctx, service, day, self.party(tracker))
            if not free:
                dispatcher.utter_message(response="utter_booking_day_full", **self._day_values(service, day, today))
                return {"date": None, "time": None, "slot_id": None, "time_wish": wish}
            return _fit(free, wish, ctx.community.timezone)

    @staticmethod
    def _day_values(service: Service | None, day: dt.date, today: dt.date) -> dict[str, Any]:
        return {
            "day": format_day(day, today), "service_name": service.name if service else "这项服务",
            "weekdays": weekdays_text(service.booking.weekdays) if service and service.booking else "",
            "max_days": MAX_DAYS_AHEAD,
        }

    async def validate_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """A day from today up to 30 days ahead, on which the service is open and has room.

        A time already chosen is found again on the new day (改成后天 keeps 09:00 when it is free then),
        so the slot stored is always on the day the summary shows.
        """
        services = get_services()
        day = parse_day(value)
        today = _today(tracker)
        service = service_of(services, tracker.get_slot("service"))
        if day is None:
            dispatcher.utter_message(response="utter_booking_day_unclear", buttons=day_buttons(today))
            return {"date": None, "slot_id": None}
        problem = date_problem(day, today, service)
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            if problem:
                days = await open_days(session, services, ctx, service, today, self.party(tracker))
                dispatcher.utter_message(response=problem, buttons=day_buttons(today, days=days),
                                         **self._day_values(service, day, today))
                return {"date": None, "slot_id": None}
            if service is None or service.booking is None:
                return {"date": day.isoformat(), "slot_id": None}
            free = await open_slots(session, services, ctx, service, day, self.party(tracker))
            if not free:
                days = await open_days(session, services, ctx, service, today, self.party(tracker))
                dispatcher.utter_message(response="utter_booking_day_full", buttons=day_buttons(today, days=days),
                                         **self._day_values(service, day, today))
                return {"date": None, "slot_id": None}
            out: dict[str, Any] = {"date": day.isoformat()}
            if "time" not in tracker.slots_to_validate():
                out.update(_fit(free, tracker.get_slot("time") or tracker.get_slot("time_wish"),
                                ctx.community.timezone))
            return out

    async def validate_time(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """An exact free slot; a part of the day (上午) or a full time shows the slots that fit as buttons."""
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        wish = str(value).strip() if value not in (None, "") else None
        if service is None or service.booking is None or day is None:
            # Kept as said; checked once service and day are known (see _recheck_for_service).
            return {"time": wish, "slot_id": None}
        today = _today(tracker)
        if date_problem(day, today, service):
            return {"time": None, "slot_id": None, "time_wish": wish}
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            free = await open_slots(session, services, ctx, service, day, self.party(tracker))
            fit = _fit(free, wish, ctx.community.timezone)
            if fit["slot_id"] is not None:
                return fit
            response, values, buttons, day_full = await time_question(
                session, ctx, domain, service, day, self.party(tracker), wish, today)
        dispatcher.utter_message(response=response, buttons=buttons, **values)
        if day_full:
            return {"time": None, "slot_id": None, "date": None, "time_wish": wish}
        return fit

    async def validate_people(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        """One up to the service's limit per booking; a chosen slot must still hold them."""
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        booking = service.booking if service is not None else None
        limit = booking.max_people if booking is not None else 200
        people = party_size(value)
        if people is None or people < 1:
            dispatcher.utter_message(response="utter_booking_people_unclear")
            return {"people": None}
        if limit == 1 and people > 1:
            dispatcher.utter_message(response="utter_booking_one_person")
            people = 1
        elif people > limit:
            if booking is not None and booking.unit == "room":
                dispatcher.utter_message(response="utter_booking_room_too_small", limit=limit,
                                         service_name=service.name if service else "")
            else:
                dispatcher.utter_message(response="utter_booking_people_limit", limit=limit)
            return {"people": None}
        out: dict[str, Any] = {"people": people}
        day = parse_day(tracker.get_slot("date"))
        time = tracker.get_slot("time")
        if service is None or booking is None or day is None or not time or "time" in tracker.slots_to_validate():
            return out
        # The slot was chosen for one person: it must have room for the whole party.
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            free = await open_slots(session, services, ctx, service, day, people)
            out.update(_fit(free, time, ctx.community.timezone))
        return out

    async def validate_address(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        """Where staff go for a home visit, without the words around it (地址是…呢)."""
        text = _ADDRESS_TAIL.sub("", _ADDRESS_LEAD.sub("", str(value or "").strip()))
        # Dictated numbers as staff read them on a door: 三号楼一单元六零一 → 3号楼1单元601.
        text = convert_numbers(MappedText.of(text)).text if text else text
        entities = (tracker.latest_message or {}).get("entities", [])
        only_a_name = any(e.get("entity") == "person_name" and e.get("value") == text for e in entities)
        if len(text) < 2 or len(text) > 120 or only_a_name:
            dispatcher.utter_message(response="utter_booking_address_unclear")
            return {"address": None}
        return {"address": text}

    async def validate_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        """A name; or, when the contact of an earlier booking was offered, 是 (both kept) or 换一个."""
        said = str(value or "").strip()
        offered = tracker.get_slot("requested_slot") == "name" and not tracker.get_slot("phone")
        remembered = await remembered_contact(tracker) if offered or not said else None
        if remembered is not None:
            intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
            entities = {e.get("entity") for e in (tracker.latest_message or {}).get("entities", [])}
            keeps = len(said) <= 10 and "person_name" not in entities and not _OTHER_CONTACT.search(said) and (
                bool(_SAME_CONTACT.search(said)) or intent == "affirm")
            if said == remembered[0] or keeps:
                return {"name": remembered[0], "phone": remembered[1]}
        if not said or (remembered is not None and _OTHER_CONTACT.search(said) and len(said) <= 6):
            dispatcher.utter_message(response="utter_ask_name_new")
            return {"name": None}
        entities = {e.get("entity") for e in (tracker.latest_message or {}).get("entities", [])}
        if "person_name" not in entities and (_CORRECTION.search(said) or entities & _NOT_NAME_ENTITIES):
            # 不对 改成后天 at the name question: the day (and the time found again for it, validated just
            # before) is taken; say so, and ask the name again. With the time still open, that is asked.
            day = parse_day(tracker.get_slot("date"))
            if day is not None and tracker.get_slot("slot_id") and tracker.get_slot("time"):
                dispatcher.utter_message(response="utter_booking_changed_ask_name",
                                         when=f"{format_day(day, _today(tracker))} {tracker.get_slot('time')}")
            return {"name": None}
        return await super().validate_name(value, dispatcher, tracker, domain)


class ActionAskService(Action):
    """Asks which service to book: the ones that fit what was said first, or the usual ones."""

    def name(self) -> str:
        return "action_ask_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        ranked = await ranked_services(_topic(tracker), tracker)
        if ranked:
            dispatcher.utter_message(response="utter_ask_service_ranked", buttons=_service_buttons(domain, ranked))
        else:
            dispatcher.utter_message(response="utter_ask_service")
        return []


class ActionAskDate(Action):
    """Asks for the day, offering the next days on which the service is open and has room."""

    def name(self) -> str:
        return "action_ask_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        today = _today(tracker)
        service = service_of(services, tracker.get_slot("service"))
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            days = await open_days(session, services, ctx, service, today, _people(tracker))
        buttons = day_buttons(today, days=days)
        if service is not None and service.booking is not None and len(service.booking.weekdays) < 7:
            dispatcher.utter_message(response="utter_ask_date_weekdays", buttons=buttons, service_name=service.name,
                                     weekdays=weekdays_text(service.booking.weekdays))
        else:
            dispatcher.utter_message(response="utter_ask_date", buttons=buttons)
        return []


class ActionAskTime(Action):
    """Shows the day's free slots, those of the part of the day wished for first."""

    def name(self) -> str:
        return "action_ask_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        if service is None or service.booking is None or day is None:
            dispatcher.utter_message(response="utter_ask_time")
            return []
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            response, values, buttons, day_full = await time_question(
                session, ctx, domain, service, day, _people(tracker), tracker.get_slot("time_wish"), _today(tracker))
        dispatcher.utter_message(response=response, buttons=buttons, **values)
        return [SlotSet("date", None)] if day_full else []


class ActionAskPeople(Action):
    """Asks how many people: for a room, how many will come and how many it holds."""

    def name(self) -> str:
        return "action_ask_people"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        service = service_of(get_services(), tracker.get_slot("service"))
        if service is not None and service.booking is not None and service.booking.unit == "room":
            dispatcher.utter_message(response="utter_ask_people_room", service_name=service.name,
                                     limit=service.booking.max_people)
        else:
            dispatcher.utter_message(response="utter_ask_people")
        return []


class ActionAskAddress(Action):
    """Asks where a home visit goes."""

    def name(self) -> str:
        return "action_ask_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        dispatcher.utter_message(response="utter_ask_address")
        return []


class ActionAskBookingName(Action):
    """Asks for the contact: a second booking in the same conversation offers the first one's."""

    def name(self) -> str:
        return "action_ask_booking_form_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        remembered = None if tracker.get_slot("phone") else await remembered_contact(tracker)
        if remembered is None:
            dispatcher.utter_message(response="utter_ask_name")
        else:
            dispatcher.utter_message(response="utter_ask_name_remembered", name=remembered[0],
                                     phone=mask_phone(remembered[1]))
        return []


class ActionSubmitBooking(Action):
    """Reads every detail back and asks to confirm; once confirmed, books and gives the booking number."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        services = get_services()
        service = service_of(services, tracker.get_slot("service"))
        day = parse_day(tracker.get_slot("date"))
        if service is None or service.booking is None:
            return [SlotSet("service", None), SlotSet("slot_id", None)]
        if day is None or not tracker.get_slot("time"):
            return [SlotSet("date" if day is None else "time", None), SlotSet("slot_id", None)]
        today = _today(tracker)
        people = _people(tracker)
        home = service.booking.home_visit
        address = str(tracker.get_slot("address") or "") if home else ""
        values: dict[str, Any] = {
            "service_name": service.name, "when": f"{format_day(day, today)} {tracker.get_slot('time')}",
            "people": people, "address": address, "name": tracker.get_slot("name"),
        }
        if not tracker.get_slot("confirmed"):
            phone = mask_phone(tracker.get_slot("phone"))
            # Heard rather than read: every detail in one breath, the ways to answer, and the question last.
            spoken = phrase(domain, "utter_booking_summary_spoken_home" if home else "utter_booking_summary_spoken",
                             phone=phone, **values)
            dispatcher.utter_message(response="utter_booking_summary_home" if home else "utter_booking_summary",
                                     phone=phone, json_message={"speech": spoken}, **values)
            return []
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            slot = await self._slot(session, ctx, tracker, service, day, people)
            booking = None if slot is None else await bookings.book(
                session, community_id=ctx.community_id, resident_id=ctx.resident_id,
                conversation_id=ctx.conversation.id, service_id=service.id, slot_id=slot.id, people=people,
                name=str(tracker.get_slot("name")), phone=str(tracker.get_slot("phone")),
                local_day=services.local_now(ctx.community.code).date(), places=places_for(service, people),
                address=address or None, booked_at=services.clock(),
            )
            # Promised only when the reminder job will send it (not for a booking made the evening before).
            reminded = slot is not None and booking is not None and bookings.gets_reminder(
                services.clock(), slot.start_at.astimezone(ZoneInfo(ctx.community.timezone)))
        if booking is None:
            dispatcher.utter_message(response="utter_booking_slot_gone")
            return [SlotSet("time", None), SlotSet("slot_id", None), SlotSet("confirmed", None)]
        report(DomainEvent("booking_made", booking.number))
        where = ctx.community.values.get("service_center", "社区服务中心")
        dispatcher.utter_message(response="utter_booking_done_home" if home else "utter_booking_done",
                                 number=booking.number, place=where, **values)
        if reminded:
            dispatcher.utter_message(response="utter_booking_reminder_promise")
        return [ActiveLoop(None), *[SlotSet(s, None) for s in BOOKING_SLOTS]]

    @staticmethod
    async def _slot(session: AsyncSession, ctx: Context, tracker: Tracker, service: Service, day: dt.date,
                    people: int) -> Slot | None:
        """The free slot of the service, day and time the summary showed.

        The slot id is a cache of those three: when it names another day or service (a correction that
        did not reach it), the slot is found again from what the resident confirmed.
        """
        free = await open_slots(session, get_services(), ctx, service, day, people)
        tz = ctx.community.timezone
        chosen = tracker.get_slot("slot_id")
        for s in free:
            if chosen is not None and s.id == int(chosen) and format_clock(s.start_at, tz) == tracker.get_slot("time"):
                return s
        return match_time(free, str(tracker.get_slot("time")), tz)
