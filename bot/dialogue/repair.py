"""Repair: correcting what was said, leaving or setting aside a task, and not asking in circles.

Residents correct themselves (不对，是后天), change one detail at the summary, wander off to another
task and come back, or cannot answer a question. These helpers keep the form's state honest through
all of that; the policy decides when to call them.
"""

from __future__ import annotations

import re
from typing import Any

from bot.dialogue.turn import Turn
from bot.nlu.payload import make_payload

# The payload entity of a "which part is wrong" button: /inform{"change":"date"}.
CHANGE_ENTITY = "change"
# A changed slot makes these stale: a new day needs its own time slot, another service its own day.
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "service": ("date", "time", "slot_id"),
    "date": ("time", "slot_id"),
    "time": ("slot_id",),
    "people": ("slot_id",),
    "ticket_id": ("date", "time", "slot_id"),
}
# Stale values said by the resident are checked again for the new choice rather than asked again:
# 改成后天 keeps the 9 点 asked for, if the new day has it.
CARRIED = ("date", "time")
# Corrections said back in words (unless the form's validation already said what changed).
ACKNOWLEDGED = ("date", "time", "people", "name", "address", "location")
# A question asked this many times in a row is not asked again: a human is offered instead.
MAX_ASKS = 2
# Words that keep a task going when asked whether to drop it.
CONTINUE_WORDS = re.compile(r"接着|继续|还要|要约|要办|不放弃|别取消|不取消")


def label(turn: Turn, slot: str) -> str:
    """What a slot is called in conversation (日期, 电话 …)."""
    name = f"utter_label_{slot}"
    return turn.domain.render(name, {}).text if turn.domain.has_response(name) else slot


def task(turn: Turn, form: str) -> str:
    """What a form is called in conversation (预约, 报修反映 …)."""
    name = f"utter_task_{form}"
    return turn.domain.render(name, {}).text if turn.domain.has_response(name) else form


def filled(turn: Turn, form: str) -> list[str]:
    """The form's slots that already hold an answer."""
    return [s for s in turn.domain.forms[form].required_slots if turn.slots.get(s) not in (None, "")]


def apply_corrections(turn: Turn, cands: dict[str, Any]) -> dict[str, Any]:
    """Clear what a changed slot makes stale; carry stale answers over to be checked again.

    Without this a day corrected at the name question kept the time slot of the old day, and the
    booking was stored on the day the resident had taken back.
    """
    out = dict(cands)
    for slot, value in cands.items():
        old = turn.slots.get(slot)
        if old in (None, "") or old == value:
            continue
        for dep in DEPENDENTS.get(slot, ()):
            if dep in cands:
                continue
            if dep in CARRIED and turn.slots.get(dep) not in (None, ""):
                out[dep] = turn.slots[dep]
            turn.slots.pop(dep, None)
    return out


def change_buttons(turn: Turn, form: str) -> list[dict[str, str]]:
    """One button a filled detail, to say which one is wrong, and one to give up."""
    buttons = [{"title": label(turn, s), "payload": make_payload("inform", {CHANGE_ENTITY: s})}
               for s in filled(turn, form)]
    return [*buttons, {"title": "不办了", "payload": "/deny"}]


def picked_change(turn: Turn, form: str) -> str | None:
    """The slot the resident says is wrong: a button, or its name in their words (时间不对, 改电话)."""
    for e in turn.parse.get("entities", []):
        if e.get("entity") == CHANGE_ENTITY and str(e.get("value")) in turn.domain.forms[form].required_slots:
            return str(e["value"])
    for slot in filled(turn, form):
        if label(turn, slot) in turn.text:
            return slot
    return None


def clear_for_change(turn: Turn, slot: str) -> None:
    """Forget a slot the resident wants to give again, and what depends on it."""
    turn.slots.pop(slot, None)
    for dep in DEPENDENTS.get(slot, ()):
        turn.slots.pop(dep, None)
    turn.slots.pop("confirmed", None)
    turn.state.pop("confirming", None)


def note_question(turn: Turn, slot: str) -> bool:
    """Count the times in a row this slot is asked; True when asking again would be once too many."""
    asked = turn.state.get("asked") or {}
    times = int(asked.get("times", 0)) + 1 if asked.get("slot") == slot else 1
    if times > MAX_ASKS:
        turn.state.pop("asked", None)
        return True
    turn.state["asked"] = {"slot": slot, "times": times}
    return False


def suspend(turn: Turn, form: str) -> None:
    """Set an unfinished form aside (what the resident already said is kept) to offer it back later."""
    keep = (*turn.domain.forms[form].required_slots, "slot_id", "category")
    values = {s: turn.slots[s] for s in keep if turn.slots.get(s) not in (None, "")}
    if values:
        turn.state["suspended"] = {"form": form, "slots": values}
        turn.state.pop("resume_offered", None)


def corrected(turn: Turn, previous: dict[str, Any]) -> str | None:
    """The first acknowledged slot whose earlier answer the message replaced, if any."""
    for slot in ACKNOWLEDGED:
        old, new = previous.get(slot), turn.slots.get(slot)
        if old not in (None, "") and new not in (None, "") and new != old:
            return slot
    return None
