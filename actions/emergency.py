"""Emergencies as a flow: the number and what to do at once, an urgent alert to staff, and the place.

The first danger message gets the number to call first and short guidance for that kind of danger
(both from knowledge/emergencies.yml), raises an urgent escalation with the kind, and asks where, once.
The answer is acknowledged and stored on the escalation; a later danger message updates the same
escalation and never asks for the place again. Nothing pauses the assistant: the resident keeps
getting guidance and can go on with other things afterwards.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import Context, load_context
from actions.runtime import get_services, session_scope
from bot.backend.escalations import open_escalation
from bot.nlu.normalize import normalize
from knowledge.emergencies import Danger, Emergencies, load_emergencies

# The `expecting` kind for the answer to "where are you?" (see bot.dialogue.policy.EXPECTATIONS).
LOCATION_EXPECTED = "emergency_location"
MAX_LOCATION_CHARS = 60
# Hand-written because no library trims Chinese address answers: what comes before the place
# (俺家在, 我们就住在, 地址是) and what comes after it (你们快来, 赶紧) is not part of the place.
_LEAD_IN = re.compile(
    r"^(?:喂|哎|我说|那个|就是|是|我跟你说|我跟你讲|你听我说|跟你说|跟你讲)*"
    r"(?:(?:地址|位置|地点|地方)(?:是|在)?|(?:我们?|俺们?|咱们?|他们?|她们?|老人|病人|人)?(?:家)?(?:就)?(?:住在|住|在|是))?"
    r"(?:那个|这个)?"
)
_TAIL = re.compile(r"(?:你们|您们?|快(?!递)|赶紧|马上|麻烦|求求|救|谢谢|我一个|我1个|怎么办|[，。！？,.!?])")
_AT = re.compile(r"(?:住|就)?在")
_SUBJECT_CHARS = 8
_DENIALS = re.compile(r"不知道|说不清|不清楚|不晓得|不认得|找不到")


class ActionEmergency(Action):
    """Number first and guidance at once; an urgent escalation with the kind; the place asked once."""

    def name(self) -> str:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        book = load_emergencies()
        previous = tracker.get_slot("emergency") if isinstance(tracker.get_slot("emergency"), dict) else {}
        message = tracker.latest_message
        reported = book.match(message.get("text") or "")
        answering = _expected(tracker)
        place = place_in(message.get("entities") or [], book, answering=answering)
        if answering and reported is None and place:
            # An answer hurried along (三号楼二单元五零二 你们快点): the whole answer says more than its entities.
            place = place_from_answer(message.get("text") or "") or place
        services = get_services()
        async with session_scope() as session:
            ctx = await load_context(session, tracker, services)
            esc = await open_escalation(session, ctx.conversation, "emergency", urgent=True, pause=False)
            same = previous.get("escalation") == esc.id
            # 你们快点来啊 during a fall is still the fall: what was reported before beats general advice.
            danger = reported or (book.known(esc.kind) if same else None) or book.general()
            # A later message may say more (救命, then 着火了); a mere call for help keeps what is known.
            if esc.kind is None or (danger.kind is not None and danger.kind.id != book.fallback):
                esc.kind = danger.main.id
            known = esc.location
            if place:
                esc.location = place
            village = _is_village(ctx)
        dispatcher.utter_message(
            response="utter_emergency_guidance", numbers=numbers_phrase(book, danger), guidance=danger.guidance
        )
        asked = bool(same and previous.get("asked"))
        events = _where(dispatcher, place=place, answering=answering, known=known, asked=asked, village=village)
        if tracker.active_loop.get("name"):
            # A half-filled booking waits (the policy set it aside); it is offered back afterwards.
            events.append(ActiveLoop(None))
        events += [
            SlotSet("emergency", {"kind": esc.kind, "escalation": esc.id, "at": services.clock().isoformat(),
                                  "asked": asked or not (place or known)}),
            SlotSet("requested_slot", None),
        ]
        return events


def _where(dispatcher: CollectingDispatcher, *, place: str | None, answering: bool, known: str | None,
           asked: bool, village: bool) -> list[Any]:
    """Say what staff know of the place, or ask for it: once, never again after an answer."""
    if place and answering:
        dispatcher.utter_message(response="utter_emergency_location_noted", location=place)
        return [SlotSet("expecting", None)]
    if place:
        dispatcher.utter_message(response="utter_emergency_notified_at", location=place)
        return []
    if known:
        dispatcher.utter_message(response="utter_emergency_still_on", location=known)
        return []
    if not asked:
        ask = "utter_emergency_ask_location_village" if village else "utter_emergency_ask_location"
        dispatcher.utter_message(response=ask)
        return [SlotSet("expecting", {"kind": LOCATION_EXPECTED})]
    # Asked already and not answered: do not ask again, but still take a place said later.
    dispatcher.utter_message(response="utter_emergency_notified")
    return [SlotSet("expecting", {"kind": LOCATION_EXPECTED})]


class ActionEmergencyLocation(Action):
    """The answer to "where are you?": stored on the urgent escalation and acknowledged, never re-asked."""

    def name(self) -> str:
        return "action_emergency_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[Any]:
        book = load_emergencies()
        message = tracker.latest_message
        place = place_from_answer(message.get("text") or "") or place_in(
            message.get("entities") or [], book, answering=True
        )
        if place:
            async with session_scope() as session:
                ctx = await load_context(session, tracker, get_services())
                # The emergency's escalation (one open per conversation); if staff closed it meanwhile, a
                # resident still giving a place still needs someone: it opens again.
                esc = await open_escalation(session, ctx.conversation, "emergency", urgent=True, pause=False)
                esc.location = place
                previous = tracker.get_slot("emergency")
                if esc.kind is None and isinstance(previous, dict):
                    esc.kind = previous.get("kind")
            dispatcher.utter_message(response="utter_emergency_location_noted", location=place)
        else:
            dispatcher.utter_message(response="utter_emergency_location_unknown")
        return [SlotSet("expecting", None)]


def answers_where(text: str, entities: list[Any]) -> bool:
    """Whether a message answers "where?" whatever the classifier makes of it: it names a place, or says
    the resident cannot tell (说不清是哪儿 read as volunteer_signup is still the answer)."""
    return any(e.get("entity") == "location" for e in entities) or bool(_DENIALS.search(text))


def numbers_phrase(book: Emergencies, danger: Danger) -> str:
    """120急救电话, 110报警电话和120急救电话, or 110报警电话、119火警电话或120急救电话."""
    said = [f"{n}{book.numbers[n]}" for n in danger.numbers]
    if len(said) == 1:
        return said[0]
    return "、".join(said[:-1]) + ("或" if danger.either else "和") + said[-1]


def place_in(entities: list[dict[str, Any]], book: Emergencies, *, answering: bool) -> str | None:
    """The place a message names, from its location entities, in the order said.

    Unasked, a place counts only when it says which building or house (3号楼2单元, 五组村口): 楼道 or
    电梯 alone still gets the question. Asked, any place the resident gives is the answer.
    """
    values: list[str] = []
    for e in entities:
        if e.get("entity") == "location" and str(e.get("value") or "").strip():
            value = str(e["value"]).strip()
            if not any(value in v for v in values):
                values = [v for v in values if v not in value] + [value]
    if not values or (not answering and all(book.is_vague_place(v) for v in values)):
        return None
    return "".join(values)[:MAX_LOCATION_CHARS]


def place_from_answer(text: str) -> str | None:
    """The place in a free answer to "where?", without fillers and lead-ins (俺家在五组村口 → 5组村口).

    None when the resident says they do not know, or nothing is left.
    """
    if text.startswith("/") or _DENIALS.search(text):
        return None
    spoken = normalize(text).text.strip()
    spoken = _LEAD_IN.sub("", spoken, count=1)
    at = _AT.search(spoken)
    if at and at.start() <= _SUBJECT_CHARS and not re.search(r"\d", spoken[: at.start()]):
        spoken = spoken[at.end() :]  # 俺家老头子在地里村东头 → 地里村东头: who it is, is not where
    cut = _TAIL.search(spoken)
    if cut:
        spoken = spoken[: cut.start()]
    spoken = spoken.strip(" 的了啊呀吧呢")
    return spoken[:MAX_LOCATION_CHARS] if len(spoken) >= 2 else None


def _expected(tracker: Tracker) -> bool:
    expecting = tracker.get_slot("expecting")
    return isinstance(expecting, dict) and expecting.get("kind") == LOCATION_EXPECTED


def _is_village(ctx: Context) -> bool:
    """Villagers are asked for 组 and 门前, town residents for 楼 and 单元."""
    return ctx.community.name.endswith("村")
