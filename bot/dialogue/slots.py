"""Which slot an entity or a free-text answer fills."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.nlu.entities.quantities import party_size
from bot.ticket_numbers import quoted_in

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
FREE_TEXT_SLOTS = {"description", "location", "address", "name", "activity"}
_NAME_PREFIX = re.compile(r"^(我叫|我姓|叫我|我是|姓)")
# What a channel sends for a photo without a caption: never an answer to a form question.
PLACEHOLDER_TEXTS = {"（照片）", "(照片)", "[图片]", "[照片]"}
# A message that asks something is never an answer to "怎么称呼您": it is a question to answer.
_QUESTION = re.compile(
    r"[？?]|吗$|吗[，。,.！!]|呢$|(什么|怎么|哪里|哪儿|在哪|多少|几点|几号|为啥|为什么|能不能|可不可以|要不要)"
)

# A question about the service at a place question: 要钱不, 收费吗, 几点来 (not 在哪儿呢 就在东门).
_ASKS = re.compile(r"[？?]$|吗$|呢$|不$|要钱|收费|多少钱|几点|要带|能不能|可不可以")
_NUMERAL = re.compile(r"[\d一二两俩仨三四五六七八九十几]")


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
    asks = bool(_ASKS.search(stripped))
    if requested in ("location", "address") and asks:
        pass  # 上门理发要钱不 at the address question is a question to answer, not the address
    elif requested in ("location", "address", "description") and 0 < len(stripped) <= 60 \
            and not stripped.startswith("/"):
        # The whole answer is the place or the problem: "5号楼2单元楼道" is more useful than the
        # entity "5号楼2单元" inside it.
        out[requested] = stripped
        if requested == "address":
            # 五组12号 is a door, not the 12th: the numbers of an address fill no day, time or count.
            for other in ("date", "time", "people"):
                out.pop(other, None)
    if requested and requested not in out:
        if (requested == "name" and _QUESTION.search(stripped)) or (requested in ("location", "address") and asks):
            pass  # a question asked at the name prompt is answered, not taken as the name
        elif requested in FREE_TEXT_SLOTS and stripped and not stripped.startswith("/"):
            out[requested] = _NAME_PREFIX.sub("", stripped) if requested == "name" else stripped
        elif requested == "people" and stripped and not _QUESTION.search(stripped) \
                and (_NUMERAL.search(stripped) or party_size(stripped) is not None):
            # A question (吃一顿多少钱) or another errand (村口的路灯不亮了) is not a count; words with a
            # number in them the form's validation reads, and explains when it cannot.
            out["people"] = people if (people := party_size(stripped)) is not None else stripped
        elif requested == "ticket_id" and (number := quoted_in(text, whole_answer=True)):
            # In full or in part (GD0316, 1308), as the look-up finds it.
            out["ticket_id"] = number
        elif requested == "phone":
            digits = re.sub(r"[\s-]", "", stripped)
            if digits.isdigit():
                out["phone"] = digits
    return out

