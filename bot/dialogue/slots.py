"""Which slot an entity or a free-text answer fills."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

ENTITY_TO_SLOT = {
    "service": "service",
    "date": "date",
    "time": "time",
    "count": "people",
    "person_name": "name",
    "phone": "phone",
    "location": "location",
    "ticket_id": "ticket_id",
    "rating": "rating",
    "age": "age",
}
# Slots whose answer may be the resident's whole message when no entity says otherwise.
FREE_TEXT_SLOTS = {"description", "location", "name", "activity"}
_DIGITS = re.compile(r"\d+")
_NAME_PREFIX = re.compile(r"^(我叫|我姓|叫我|我是|姓)")
# What a channel sends for a photo without a caption: never an answer to a form question.
PLACEHOLDER_TEXTS = {"（照片）", "(照片)", "[图片]", "[照片]"}
_TICKET = re.compile(r"(?i)\b((?:GD|YY)\d{11})\b")


def candidates_from(
    entities: Sequence[Mapping[str, Any]], text: str, wanted: tuple[str, ...], requested: str | None
) -> dict[str, Any]:
    """Slot candidates from a message: entities first, then the requested free-text or number slot."""
    out: dict[str, Any] = {}
    for e in entities:
        slot = ENTITY_TO_SLOT.get(e["entity"], e["entity"])
        if (slot in wanted or slot == "slot_id") and slot not in out:
            out[slot] = e["value"]
    stripped = text.strip().strip("。.！!，,")
    if stripped in PLACEHOLDER_TEXTS:
        stripped = ""
    if requested in ("location", "description") and 0 < len(stripped) <= 60 and not stripped.startswith("/"):
        # The whole answer is the place or the problem: "5号楼2单元楼道" is more useful than the
        # entity "5号楼2单元" inside it.
        out[requested] = stripped
    if requested and requested not in out:
        if requested in FREE_TEXT_SLOTS and stripped and not stripped.startswith("/"):
            out[requested] = _NAME_PREFIX.sub("", stripped) if requested == "name" else stripped
        elif requested == "people" and (m := _DIGITS.fullmatch(stripped)):
            out["people"] = int(m.group(0))
        elif requested == "ticket_id" and (m := _TICKET.search(text)):
            out["ticket_id"] = m.group(1).upper()
        elif requested == "phone":
            digits = re.sub(r"[\s-]", "", stripped)
            if digits.isdigit():
                out["phone"] = digits
    return out
