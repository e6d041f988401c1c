"""The shapes the NLU layer returns: exactly those of Rasa's `POST /model/parse`.

Keeping Rasa's shape lets a Rasa server be a drop-in backend (`NLU_BACKEND=rasa`) and lets the dialogue
engine build a rasa_sdk `Tracker.latest_message` from a parse without translation.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, TypedDict


class IntentScore(TypedDict):
    """An intent with its confidence in [0, 1]."""

    name: str
    confidence: float


class EntityDict(TypedDict, total=False):
    """One extracted entity; `value` is normalised (catalog id, ISO date, HH:MM, digits, int)."""

    entity: str
    value: str | int
    start: int
    end: int
    extractor: str
    confidence_entity: float
    text: str


class ParseResult(TypedDict):
    """The parse of one message, as Rasa's `/model/parse` returns it."""

    text: str
    intent: IntentScore
    intent_ranking: list[IntentScore]
    entities: list[EntityDict]


class NluParser(Protocol):
    """Anything that parses a message: the embedded engine or a Rasa server over HTTP."""

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Parse `text`; relative dates resolve against `now` (default: the current local time)."""
        ...
