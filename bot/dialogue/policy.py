"""Deciding what the assistant does with a message.

Priority, as residents' safety demands: an emergency first; then an active form; then rules from
intent to action; then the fallback that asks for clarification and, the second time, offers a human.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actions.common import format_day
from actions.emergency import LOCATION_EXPECTED, answers_where
from actions.rating import claims as claims_rating
from actions.runtime import get_services
from actions.slots import parse_day
from bot.backend.bookings import latest_active
from bot.dialogue import repair
from bot.dialogue.slots import candidates_from
from bot.dialogue.turn import Turn
from bot.dialogue.understanding import asks_if_heard, is_bookable, service_from_words
from knowledge.declines import decline_for, mentions_death
from knowledge.eligibility import extract_facts
from knowledge.emergencies import load_emergencies
from knowledge.privacy import asks_for_others_data

# The classifier alone sets off the emergency script only when it is this sure; below, the message must
# also hold danger words in context (knowledge/emergencies.yml). Measured on tests/data/nlu_heldout_a.yml
# and _b.yml: emergency recall 30/30 with words and classifier at 0.9 (28/30 by the words alone), the same
# as the classifier at 0.45 before, with no false alarm; 电梯年检 (emergency 0.47) and other topic words
# no longer set it off.
CLASSIFIER_ALONE = 0.9
# While an emergency is under way, what the resident adds (他说腿疼得厉害) is part of it when the classifier
# says emergency at the usual threshold, and so is hurrying it along (你们快点来啊): the last emergency is
# context for understanding.
EMERGENCY_ONGOING = dt.timedelta(minutes=30)
QUESTION_INTENTS = {"ask_service_info", "ask_documents", "ask_eligibility", "request_certificate"}
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
    # Only an `emergency` that is_emergency turned down gets here: unsure, so ask what was meant.
    "emergency": "action_clarify",
    "inform": "action_check_status",
    "stop_notices": "action_stop_notices",
    "resume_notices": "action_resume_notices",
}
for _intent in QUESTION_INTENTS:
    RULES[_intent] = "action_answer_catalog"
EXIT_WORDS = re.compile(r"^(算了|取消|不办了|不要了|不用了|不约了|退出|不弄了|先不了|算了吧|不了)")
_BOOKING_WORDS = re.compile(r"预约|约的|订的|报的名")
_MOVE_WORDS = re.compile(r"改|换|挪|推迟|往后|提前")


@dataclass(frozen=True)
class Expectation:
    """An answer the assistant waits for outside a form, and the action that takes it.

    An action sets the `expecting` slot to `{"kind": KIND, ...}` when it asks something whose answer is
    not a form slot (the place of an emergency, a grade after a complaint). The next message goes to
    `action` unless it is confidently an intent outside `answers`; the action clears the slot once
    answered. A message that is something else drops the expectation and is handled as usual.
    `takes`, when given, recognises an answer from the text and entities whatever the intent (an address
    the classifier reads as volunteer_signup is still the place that was asked for).
    """

    action: str
    answers: frozenset[str]
    takes: Callable[[str, list[Any]], bool] | None = None


EXPECTATIONS: dict[str, Expectation] = {
    # A grade, a choice of what to rate, or a remark on a rating just given (actions/rating.py).
    "rating": Expectation(action="action_rate", answers=frozenset({"rate_service", "inform", "affirm", "deny"})),
    # Where the emergency is (actions/emergency.py); an address is often read as inform, 在家里 as affirm,
    # 不知道 as deny, a village field as emergency or out_of_scope.
    LOCATION_EXPECTED: Expectation(
        action="action_emergency_location",
        answers=frozenset({"inform", "affirm", "deny", "emergency", "out_of_scope"}),
        takes=answers_where,
    ),
    # Which of their open work orders a status question meant, and 催一下 after a status answer
    # (actions/status.py): 水管那个 reads as inform, 催办 as affirm, 催一下 as nothing confident.
    "status_choice": Expectation(action="action_check_status",
                                 answers=frozenset({"check_status", "inform", "affirm"})),
    "status_followup": Expectation(action="action_check_status",
                                   answers=frozenset({"check_status", "inform", "affirm"})),
}


def is_emergency(turn: Turn, threshold: float) -> bool:
    """Danger now: danger words in context or an explicit call for help (叫救护车, 报警), or the
    classifier very sure and the message not about danger as a topic (讲座, 保险, 年检)."""
    if turn.text.startswith("/"):
        return turn.intent == "emergency"  # a button: the resident chose 紧急求助
    book = load_emergencies()
    if book.match(turn.text) is not None:
        return True
    ongoing = _emergency_ongoing(turn)
    if ongoing and _answers_where_asked(turn):
        return False  # the place just asked for, however hurried (…五零二 你们快点): the expectation takes it
    if ongoing and book.is_follow_up(turn.text):
        return True
    if turn.intent != "emergency" or book.is_topic(turn.text):
        return False
    return turn.confidence >= (threshold if ongoing else max(threshold, CLASSIFIER_ALONE))


async def during_handoff(turn: Turn, threshold: float) -> bool:
    """While staff have the conversation the assistant is silent, except for danger: 我老伴摔倒了 still
    gets the number to call and the advice at once, and the urgent flag reaches the staff member."""
    if not is_emergency(turn, threshold):
        return False
    await turn.run("action_emergency")
    return True


def _answers_where_asked(turn: Turn) -> bool:
    expecting = turn.slots.get("expecting")
    return (isinstance(expecting, dict) and expecting.get("kind") == LOCATION_EXPECTED
            and answers_where(turn.text, turn.parse.get("entities", [])))


def _emergency_ongoing(turn: Turn) -> bool:
    last = turn.slots.get("emergency")
    if not isinstance(last, dict) or not last.get("at"):
        return False
    try:
        since = turn.now - dt.datetime.fromisoformat(str(last["at"]))
    except (TypeError, ValueError):
        return False
    return dt.timedelta(0) <= since <= EMERGENCY_ONGOING


async def decide(turn: Turn, threshold: float) -> None:
    """Run whatever this message calls for; then offer back a task set aside, once it is quiet."""
    await _decide(turn, threshold)
    _offer_resume(turn)


async def _decide(turn: Turn, threshold: float) -> None:
    if is_emergency(turn, threshold):
        turn.slots.pop("eligibility", None)
        if turn.state.get("active_form"):
            repair.suspend(turn, turn.state["active_form"])  # offered back once the danger is dealt with
        await turn.run("action_emergency")
        return
    if turn.intent == "request_human" and turn.confidence >= threshold:
        if turn.state.get("active_form"):
            repair.suspend(turn, turn.state["active_form"])  # staff may finish it; else it is offered back
            cancel_form(turn)
        await turn.run("action_request_human")
        return
    if asks_if_heard(turn.greeting):
        turn.utter("utter_hello_then_answer")
    if asks_for_others_data(turn.text):
        # Whatever the intent reads as (a status check, a complaint), another resident's data is not given.
        await turn.run("action_decline_private_data")
        if turn.state.get("active_form"):
            await _ask(turn, turn.state["active_form"], again=False)
        return
    if turn.state.get("active_form"):
        await form_turn(turn, threshold)
        return
    if decline_for(turn.text, deceased_known=bool(turn.slots.get("deceased"))) is not None:
        # A benefit or a proof that does not apply (a dead parent's allowance, 收入少写点): the catalog
        # answer declines it with the right path, before the words can be taken for a rating.
        await turn.run("action_answer_catalog")
        return
    if turn.state.get("resume_offered") and await _answer_resume(turn):
        return
    if await _rating_turn(turn):
        return
    if await _expected_answer(turn, threshold):
        return
    if turn.slots.get("eligibility") and (_answers_pending_question(turn, threshold) or mentions_death(turn.text)):
        await turn.run("action_answer_eligibility")
        return
    turn.slots.pop("eligibility", None)
    if turn.confidence < threshold:
        await turn.run("action_clarify")
        return
    turn.slots["fallback_count"] = 0
    form = turn.domain.form_intents.get(turn.intent)
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
    taken = spec is not None and spec.takes is not None and spec.takes(turn.text, turn.parse.get("entities", []))
    if spec is None or (turn.confidence >= threshold and turn.intent not in spec.answers and not taken):
        turn.slots.pop("expecting", None)
        return False
    await turn.run(spec.action)
    return True


async def _rating_turn(turn: Turn) -> bool:
    """A verdict on a service received (饭菜太咸了) is a rating whatever the classifier guessed, and so
    is a short grade (一般般) while a rating is asked for; see `actions.rating.claims`."""
    expecting = turn.slots.get("expecting")
    if isinstance(expecting, dict) and expecting.get("kind") != "rating":
        return False
    if not await claims_rating(turn.session, turn.conversation.id, turn.text, turn.parse.get("entities", []),
                               expecting):
        return False
    await turn.run("action_rate")
    return True


def _offer_resume(turn: Turn) -> None:
    """Once nothing else is going on, ask whether to go on with the task set aside (once).

    Not while this turn's own last reply asks something (a grade, a choice) or the place of an emergency
    is awaited: the offer waits for a quiet turn.
    """
    suspended = turn.state.get("suspended")
    if not suspended or turn.state.get("active_form") or turn.state.get("resume_offered"):
        return
    expecting = turn.slots.get("expecting")
    if turn.conversation.status == "handoff" or (isinstance(expecting, dict)
                                                and expecting.get("kind") == LOCATION_EXPECTED):
        return
    last = turn.replies[-1] if turn.replies else None
    if last is not None and (last.buttons or re.search(r"[？?]\s*$", last.text)):
        return
    turn.state["resume_offered"] = True
    turn.utter("utter_resume_offer", task=repair.task(turn, suspended["form"]))


async def _answer_resume(turn: Turn) -> bool:
    """接着办 brings the task back where it was; 不用了 drops it; anything else drops it quietly."""
    suspended = turn.state.pop("suspended", None) or {}
    turn.state.pop("resume_offered", None)
    form = suspended.get("form")
    if form not in turn.domain.forms:
        return False
    if turn.intent == "affirm" or repair.CONTINUE_WORDS.search(turn.text):
        turn.slots.update(suspended.get("slots") or {})
        turn.state["active_form"] = form
        await _ask(turn, form)
        return True
    if turn.intent == "deny":
        turn.utter("utter_resume_dropped", task=repair.task(turn, form))
        return True
    return False


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
    _service_in_context(turn, spec.required_slots, cands)
    if form == "booking_form" and "service" not in cands and is_bookable(turn.slots.get("last_service")):
        # 那帮我约下周二的 right after asking about a bookable service: that service.
        cands["service"] = turn.slots["last_service"]
    # As in Rasa, the form's validation runs when it starts even with nothing said to fill it: its
    # `extract_` methods may fill a slot from the context (the only booking there is to move).
    await _fill_and_ask(turn, form, cands, starting=True)


def _service_in_context(turn: Turn, wanted: tuple[str, ...], cands: dict[str, object]) -> None:
    """When a form needs a service and none was tagged, everyday words may still name one (洗澡)."""
    if "service" in wanted and "service" not in cands and not turn.slots.get("service"):
        said = [str(e["text"]) for e in turn.parse.get("entities", []) if e.get("text")]
        found = service_from_words(turn.text, said)
        if found:
            cands["service"] = found


async def form_turn(turn: Turn, threshold: float) -> None:
    """Continue the active form: confirm, correct, leave, answer an aside, switch task, or fill a slot."""
    form = turn.state["active_form"]
    spec = turn.domain.forms[form]
    confident = turn.confidence >= threshold
    requested = turn.state.get("requested_slot")
    cands = candidates_from(turn.parse.get("entities", []), turn.text, spec.required_slots, requested)
    own_intent = next((i for i, f in turn.domain.form_intents.items() if f == form), None)
    another_task = turn.intent in _ONE_SHOT or turn.intent in turn.domain.form_intents
    if confident and another_task and turn.intent != own_intent and requested in cands \
            and requested not in candidates_from(turn.parse.get("entities", []), "", spec.required_slots, None):
        # 查一下我的预约 at the name question is another errand, not a name: the words are not the answer.
        cands.pop(requested)
    if requested == "service":
        _service_in_context(turn, spec.required_slots, cands)
    if turn.state.pop("exit_check", None):
        if _continues(turn):
            await _ask(turn, form)
            return
        if turn.intent == "affirm" or EXIT_WORDS.match(turn.text):
            _leave(turn, form)
            return
    if turn.state.pop("changing", None) and not cands:
        slot = repair.picked_change(turn, form)
        if slot is not None:
            repair.clear_for_change(turn, slot)
            await _ask(turn, form)
            return
        if turn.intent == "deny" or EXIT_WORDS.match(turn.text):
            _leave(turn, form)  # 不办了 among the details to change: asked once already
            return
    says_exit = EXIT_WORDS.match(turn.text) is not None and turn.intent != own_intent
    if turn.state.get("confirming"):
        if turn.intent == "affirm" and confident and not cands:
            turn.slots["confirmed"] = True
            await turn.run(spec.submit_action)
            if turn.state.get("active_form") == form:
                # The submit found a problem (a slot filled up meanwhile) and cleared a slot: ask again.
                turn.state.pop("confirming", None)
                turn.slots.pop("confirmed", None)
                await _ask(turn, form)
            return
        if form == "cancel_form" and (turn.intent == "deny" or says_exit):
            cancel_form(turn)
            turn.utter("utter_cancel_kept")
            return
        if says_exit:
            await _exit(turn, form)
            return
        if turn.intent == "deny" and not cands:
            # 不对 at the summary: ask which detail is wrong rather than throwing everything away.
            turn.state.pop("confirming", None)
            turn.state["changing"] = True
            turn.utter("utter_what_to_change", buttons=repair.change_buttons(turn, form))
            return
    elif says_exit or (turn.intent == "deny" and confident and not cands):
        await _exit(turn, form)
        return
    news = {k: v for k, v in cands.items() if k != "service" and turn.slots.get(k) != v}
    answers_service = requested == "service" and "service" in cands
    if confident and turn.intent in QUESTION_INTENTS and not news and not answers_service:
        # A question in the middle of a form ("助浴收费吗？"): answer it, then pick up where we were. A
        # question that names no service (要带身份证吗) is about the one being booked.
        if turn.slots.get("service") and "service" not in cands:
            turn.slots["last_service"] = turn.slots["service"]
        await turn.run("action_answer_catalog")
        turn.utter("utter_continue_form")
        await _ask(turn, form, again=False)
        return
    fills_form = bool((set(cands) - {"service"}) & set(spec.required_slots))
    if confident and not fills_form and requested not in cands and await _switches_task(turn, form):
        return
    if not cands:
        if turn.intent == "goodbye" and confident:
            cancel_form(turn)
            turn.utter("utter_goodbye")
            return
        if turn.intent in ("greet", "thank", "bot_challenge") and confident:
            await turn.run(RULES[turn.intent])
        elif not turn.state.get("confirming"):
            turn.utter("utter_not_understood_slot")
        await _ask(turn, form)
        return
    await _fill_and_ask(turn, form, cands)


def _continues(turn: Turn) -> bool:
    return bool(repair.CONTINUE_WORDS.search(turn.text)) or turn.intent == "deny"


async def _exit(turn: Turn, form: str) -> None:
    """Leave the form; when several answers would be lost, check first (once)."""
    if len(repair.filled(turn, form)) >= 3:
        turn.state["exit_check"] = True
        turn.utter("utter_exit_check", task=repair.task(turn, form))
        return
    _leave(turn, form)


def _leave(turn: Turn, form: str) -> None:
    cancel_form(turn)
    turn.utter("utter_cancel_kept" if form == "cancel_form" else "utter_form_cancelled")


# Intents that are a task of their own: said clearly in the middle of a form, the form is set aside.
_ONE_SHOT = {"check_status", "rate_service", "volunteer_signup"}


async def _switches_task(turn: Turn, form: str) -> bool:
    """Another task said clearly mid-form: set this one aside (offered back later) and do the new one."""
    new_form = turn.domain.form_intents.get(turn.intent)
    if new_form and new_form != form:
        repair.suspend(turn, form)
        cancel_form(turn)
        await activate_form(turn, new_form)
        return True
    if turn.intent in _ONE_SHOT and not new_form:
        repair.suspend(turn, form)
        cancel_form(turn)
        await turn.run(RULES[turn.intent])
        return True
    return False


def cancel_form(turn: Turn) -> None:
    """Leave the active form without writing anything."""
    form = turn.state.pop("active_form", None)
    if form:
        for slot in (*turn.domain.forms[form].required_slots, "slot_id", "category", "confirmed"):
            turn.slots.pop(slot, None)
    for key in ("requested_slot", "confirming", "changing", "exit_check", "asked"):
        turn.state.pop(key, None)


async def _fill_and_ask(turn: Turn, form: str, cands: dict[str, object], starting: bool = False) -> None:
    spec = turn.domain.forms[form]
    explained = False
    if cands or starting:
        turn.state.pop("confirming", None)
        turn.slots.pop("confirmed", None)
        previous = {s: turn.slots.get(s) for s in cands}
        cands = repair.apply_corrections(turn, cands)
        ordered = {s: cands[s] for s in (*spec.required_slots, *cands) if s in cands}
        before = len(turn.replies)
        await turn.run(spec.validate_action, slot_candidates=ordered)
        explained = len(turn.replies) > before
        if not explained and (changed := repair.corrected(turn, previous)):
            # 改成下午三点 at the name question: say what changed, so the resident knows it was heard.
            turn.utter("utter_changed", what=repair.label(turn, changed), value=_spoken_value(turn, changed))
    if turn.state.get("active_form") != form:
        return
    missing = await _missing(turn, form)
    if explained and missing in cands:
        # The validation already said why the answer did not fit and offered choices: that is the question.
        turn.state["requested_slot"] = missing
        repair.note_question(turn, missing)
        return
    await _ask(turn, form)


def _spoken_value(turn: Turn, slot: str) -> str:
    """A slot's value as said back: a day as 后天12月13日（周日）, with its time when there is one."""
    value = turn.slots.get(slot)
    if slot == "date" and (day := parse_day(value)) is not None:
        text = format_day(day, get_services().local_now(turn.slots.get("community")).date())
        return f"{text} {turn.slots['time']}" if turn.slots.get("time") else text
    return str(value)


async def _missing(turn: Turn, form: str) -> str | None:
    required = await turn.required_slots(form)
    return next((s for s in required if turn.slots.get(s) in (None, "")), None)


async def _ask(turn: Turn, form: str, *, again: bool = True) -> None:
    """Ask for the next missing slot, or for confirmation once all are filled.

    The same question is not asked a third time in a row: a human is offered instead (the slot stays
    requested, so a good answer still fills it). `again=False` re-asks without counting, after an aside.
    """
    spec = turn.domain.forms[form]
    missing = await _missing(turn, form)
    if missing is None:
        turn.state.pop("requested_slot", None)
        turn.state.pop("asked", None)
        turn.state["confirming"] = True
        turn.slots.pop("confirmed", None)
        await turn.run(spec.submit_action)
        return
    turn.state["requested_slot"] = missing
    if again and repair.note_question(turn, missing):
        turn.utter("utter_stuck_offer_human")
        return
    for name in (f"action_ask_{form}_{missing}", f"action_ask_{missing}"):
        if name in turn.actions:
            await turn.run(name)
            return
    turn.utter(f"utter_ask_{missing}")
