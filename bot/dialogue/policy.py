"""Deciding what the assistant does with a message.

Priority, as residents' safety demands: an emergency first; then an active form; then rules from
intent to action; then the fallback that asks for clarification and, the second time, offers a human.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.backend.bookings import latest_active
from bot.dialogue.slots import candidates_from
from bot.dialogue.turn import Turn
from knowledge.eligibility import extract_facts

# A safety net under the classifier: these words mean danger now, whatever the intent says.
EMERGENCY_WORDS = re.compile(
    r"((?<![不没])着火|失火|起火|火灾|冒烟了|浓烟|(?:全|满.{0,2})是烟(?!味)|烟.{0,3}(?:看不见|呛得|睁不开)|"
    r"煤气味|燃气味|天然气味|液化气味|煤气泄漏|燃气泄漏|漏气了|"
    r"晕倒|昏倒|昏迷|没有呼吸|不省人事|倒地不起|摔倒.{0,4}起不来|家暴|被打了|要打死|"
    r"救命|跳楼|轻生|想不开|电梯.{0,4}困|困.{0,2}电梯|触电|溺水|掉.{0,3}水里|持刀)"
)
QUESTION_INTENTS = {"ask_service_info", "ask_documents", "ask_eligibility", "request_certificate"}
FORM_INTENTS = {
    "book_service": "booking_form",
    "file_request": "request_form",
    "reschedule_booking": "reschedule_form",
    "cancel_booking": "cancel_form",
    "volunteer_signup": "volunteer_form",
}
RULES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_you_are_welcome",
    "bot_challenge": "utter_iamabot",
    "out_of_scope": "utter_out_of_scope",
    "affirm": "utter_ok",
    "deny": "utter_ok",
    "check_status": "action_check_status",
    "rate_service": "action_rate",
    "request_human": "action_request_human",
    "emergency": "action_emergency",
    "inform": "action_check_status",
}
for _intent in QUESTION_INTENTS:
    RULES[_intent] = "action_answer_catalog"
EXIT_WORDS = re.compile(r"^(算了|取消|不办了|不要了|不用了|不约了|退出|不弄了|先不了|算了吧|不了)")
_BOOKING_WORDS = re.compile(r"预约|约的|订的|报的名")
_MOVE_WORDS = re.compile(r"改|换|挪|推迟|往后|提前")
CLARIFY_SKIP = {"out_of_scope", "inform", "affirm", "deny"}


@dataclass(frozen=True)
class Expectation:
    """An answer the assistant waits for outside a form, and the action that takes it.

    An action sets the `expecting` slot to `{"kind": KIND, ...}` when it asks something whose answer is
    not a form slot (the place of an emergency, a grade after a complaint). The next message goes to
    `action` unless it is confidently an intent outside `answers`; the action clears the slot once
    answered. A message that is something else drops the expectation and is handled as usual.
    """

    action: str
    answers: frozenset[str]


EXPECTATIONS: dict[str, Expectation] = {}


def is_emergency(turn: Turn, threshold: float) -> bool:
    """Danger now: the classifier says so confidently, or the words do."""
    if turn.intent == "emergency" and turn.confidence >= threshold:
        return True
    return bool(EMERGENCY_WORDS.search(turn.text))


async def decide(turn: Turn, threshold: float) -> None:
    """Run whatever this message calls for."""
    if is_emergency(turn, threshold):
        turn.slots.pop("eligibility", None)
        await turn.run("action_emergency")
        return
    if turn.intent == "request_human" and turn.confidence >= threshold:
        await turn.run("action_request_human")
        return
    if turn.state.get("active_form"):
        await form_turn(turn, threshold)
        return
    if await _expected_answer(turn, threshold):
        return
    if turn.slots.get("eligibility") and _answers_pending_question(turn, threshold):
        await turn.run("action_answer_eligibility")
        return
    turn.slots.pop("eligibility", None)
    if turn.confidence < threshold:
        await turn.run("action_clarify")
        return
    turn.slots["fallback_count"] = 0
    form = FORM_INTENTS.get(turn.intent)
    if turn.intent == "deny" and _names_a_booking(turn) and await _has_upcoming_booking(turn):
        form = "reschedule_form" if _MOVE_WORDS.search(turn.text) else "cancel_form"
    if form:
        await activate_form(turn, form)
        return
    if turn.intent == "inform" and not turn.entity_values().get("ticket_id"):
        turn.utter("utter_how_can_help")
        return
    await turn.run(RULES.get(turn.intent, "action_clarify"))


async def _expected_answer(turn: Turn, threshold: float) -> bool:
    """Hand the message to the action waiting for it, if it answers what was asked (see Expectation)."""
    expecting = turn.slots.get("expecting")
    if not isinstance(expecting, dict):
        return False
    spec = EXPECTATIONS.get(str(expecting.get("kind")))
    if spec is None or (turn.confidence >= threshold and turn.intent not in spec.answers):
        turn.slots.pop("expecting", None)
        return False
    await turn.run(spec.action)
    return True


def _names_a_booking(turn: Turn) -> bool:
    """A 不要了 that names a service or a booking (陪诊不要了 我自己去) while nothing was asked.

    With no question pending there is nothing to say no to: the resident is calling a booking off, or,
    with 改/换/挪 in it, moving it. Both forms ask before they change anything, so reading it so costs
    one question at worst.
    """
    values = turn.entity_values()
    return bool(values.get("service") or values.get("ticket_id") or _BOOKING_WORDS.search(turn.text))


async def _has_upcoming_booking(turn: Turn) -> bool:
    return await latest_active(turn.session, turn.conversation.resident_id, turn.now) is not None


def _answers_pending_question(turn: Turn, threshold: float) -> bool:
    """Whether the message answers the eligibility question we asked (rather than changing subject)."""
    if turn.intent in ("inform", "affirm", "deny") or turn.confidence < threshold:
        return True
    pending = (turn.slots.get("eligibility") or {}).get("pending")
    if pending and pending in extract_facts(turn.text, turn.parse.get("entities", []), pending):
        return True
    return turn.intent == "ask_eligibility" and not turn.entity_values().get("service")


async def activate_form(turn: Turn, form: str) -> None:
    """Start a form, prefilled with what the first message already said."""
    spec = turn.domain.forms[form]
    for slot in (*spec.required_slots, "slot_id", "category", "confirmed"):
        turn.slots.pop(slot, None)
    turn.state["active_form"] = form
    turn.state.pop("requested_slot", None)
    turn.state.pop("confirming", None)
    requested = "description" if form == "request_form" else None
    cands = candidates_from(turn.parse.get("entities", []), turn.text, spec.required_slots, requested)
    if form == "request_form" and turn.text.startswith("/"):
        cands.pop("description", None)
    await _fill_and_ask(turn, form, cands)


async def form_turn(turn: Turn, threshold: float) -> None:
    """Continue the active form: confirm, cancel, answer an aside, or fill the next slot."""
    form = turn.state["active_form"]
    spec = turn.domain.forms[form]
    own_intent = next((i for i, f in FORM_INTENTS.items() if f == form), None)
    wants_exit = (turn.intent == "deny" and turn.confidence >= threshold and not turn.state.get("confirming")) or (
        EXIT_WORDS.match(turn.text) is not None and turn.intent != own_intent
    )
    if turn.state.get("confirming"):
        if turn.intent == "affirm" and turn.confidence >= threshold:
            turn.slots["confirmed"] = True
            await turn.run(spec.submit_action)
            if turn.state.get("active_form") == form:
                # The submit found a problem (a slot filled up meanwhile) and cleared a slot: ask again.
                turn.state.pop("confirming", None)
                turn.slots.pop("confirmed", None)
                await _ask(turn, form)
            return
        if turn.intent == "deny" or EXIT_WORDS.match(turn.text):
            cancel_form(turn)
            turn.utter("utter_cancel_kept" if form == "cancel_form" else "utter_form_cancelled")
            return
    elif wants_exit:
        cancel_form(turn)
        turn.utter("utter_form_cancelled")
        return
    requested = turn.state.get("requested_slot")
    cands = candidates_from(turn.parse.get("entities", []), turn.text, spec.required_slots, requested)
    confident = turn.confidence >= threshold
    news = {k: v for k, v in cands.items() if k != "service" and turn.slots.get(k) != v}
    if confident and turn.intent in QUESTION_INTENTS and not news:
        # A question in the middle of a form ("助浴收费吗？"): answer it, then pick up where we were.
        await turn.run("action_answer_catalog")
        turn.utter("utter_continue_form")
        await _ask(turn, form)
        return
    new_form = FORM_INTENTS.get(turn.intent)
    if confident and new_form and new_form != form and not _has_entities(turn, exclude={"service"}):
        cancel_form(turn)
        await activate_form(turn, new_form)
        return
    if not cands:
        if turn.intent in ("greet", "thank", "bot_challenge") and confident:
            await turn.run(RULES[turn.intent])
        elif not turn.state.get("confirming"):
            turn.utter("utter_not_understood_slot")
        await _ask(turn, form)
        return
    await _fill_and_ask(turn, form, cands)


def _has_entities(turn: Turn, exclude: set[str] | None = None) -> bool:
    return any(e["entity"] not in (exclude or set()) for e in turn.parse.get("entities", []))


def cancel_form(turn: Turn) -> None:
    """Leave the active form without writing anything."""
    form = turn.state.pop("active_form", None)
    if form:
        for slot in (*turn.domain.forms[form].required_slots, "slot_id", "category", "confirmed"):
            turn.slots.pop(slot, None)
    turn.state.pop("requested_slot", None)
    turn.state.pop("confirming", None)


async def _fill_and_ask(turn: Turn, form: str, cands: dict[str, object]) -> None:
    spec = turn.domain.forms[form]
    explained = False
    if cands:
        turn.state.pop("confirming", None)
        turn.slots.pop("confirmed", None)
        ordered = {s: cands[s] for s in (*spec.required_slots, *cands) if s in cands}
        before = len(turn.replies)
        await turn.run(spec.validate_action, slot_candidates=ordered)
        explained = len(turn.replies) > before
    if turn.state.get("active_form") != form:
        return
    missing = await _missing(turn, form)
    if explained and missing in cands:
        # The validation already said why the answer did not fit and offered choices: that is the question.
        turn.state["requested_slot"] = missing
        return
    await _ask(turn, form)


async def _missing(turn: Turn, form: str) -> str | None:
    required = await turn.required_slots(form)
    return next((s for s in required if turn.slots.get(s) in (None, "")), None)


async def _ask(turn: Turn, form: str) -> None:
    """Ask for the next missing slot, or for confirmation once all are filled."""
    spec = turn.domain.forms[form]
    missing = await _missing(turn, form)
    if missing is None:
        turn.state.pop("requested_slot", None)
        turn.state["confirming"] = True
        turn.slots.pop("confirmed", None)
        await turn.run(spec.submit_action)
        return
    turn.state["requested_slot"] = missing
    for name in (f"action_ask_{form}_{missing}", f"action_ask_{missing}"):
        if name in turn.actions:
            await turn.run(name)
            return
    turn.utter(f"utter_ask_{missing}")
