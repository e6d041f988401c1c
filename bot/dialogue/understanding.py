"""Reading a message in the light of what the assistant just asked.

The NLU reads each message alone. Inside a form the question asked shapes the answer: when the service
is being asked (or a booking starts without naming one), everyday words such as 洗澡 or 吃饭 that the
NLU does not tag as a service still name one, and the retriever over the catalog finds which. Its own
`confident` judgement decides, so 我要预约 or 好的 never pick a service by chance.
"""

from __future__ import annotations

import re
from typing import Any

from actions.runtime import get_services

# Openings of a phone-style message that carry no request: 喂喂 听得到吗 / 你好 在吗 / 有人吗.
_GREETING_LEAD = re.compile(
    r"^(?:(?:喂+|哎+|你好+|您好+|哈喽|嗨|在吗|在不在|有人吗|有人在吗|听得到吗|听得见吗|能听到吗|能听见吗|听到没|"
    r"听见没|听得清吗|小邻|邻里)[\s,，。.!！?？~～…、]*)+"
)
_HEARING = re.compile(r"听得|听到|听见")


# Words of asking to book that say nothing about which service (约, 我想, 帮我).
_BOOKING_TALK = re.compile(r"预约|约个|约一下|约|我想|我要|俺想|俺要|帮我|给我|麻烦|一下")


def service_from_words(text: str, said: list[str] | None = None) -> str | None:
    """The catalog service the words clearly name (retrieval, confident only), or None.

    The day, time and other values already understood (`said`) and the words of asking to book are left
    out of the query: 俺想约明天晌午在食堂吃饭 is searched as 在食堂吃饭, which the retriever is sure of.
    """
    retriever = get_services().retriever
    if retriever is None or not text.strip() or text.startswith("/"):
        return None
    for value in said or []:
        text = text.replace(value, " ")
    text = _BOOKING_TALK.sub(" ", text).strip()
    if not text:
        return None
    result: Any = retriever.search(text, k=3)
    top = result.top
    return str(top.service_id) if result.confident and top is not None else None


def split_greeting(text: str) -> tuple[str, str]:
    """The greeting a message opens with and what follows it (either may be empty)."""
    m = _GREETING_LEAD.match(text)
    if not m:
        return "", text
    return text[: m.end()].strip(), text[m.end():].strip()


def asks_if_heard(greeting: str) -> bool:
    """喂喂 听得到吗 …: a caller checking the line, who should hear that we do before the answer."""
    return bool(_HEARING.search(greeting))


def is_bookable(service_id: Any) -> bool:
    """Whether a slot value names a service that can be booked."""
    service = get_services().catalog.get(str(service_id)) if service_id else None
    return service is not None and service.kind == "bookable"
