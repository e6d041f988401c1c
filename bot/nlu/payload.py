"""Button payloads in Rasa's syntax: `/intent` or `/intent{"entity": "value"}`."""

from __future__ import annotations

import json
import math
import re

from bot.nlu.types import EntityDict, ParseResult

_PAYLOAD = re.compile(r"^/([a-z_]+)(\{.*\})?$", re.DOTALL)


def parse_payload(text: str, known_intents: set[str]) -> ParseResult | None:
    """A certain parse for a button payload, or None when the text is not one."""
    m = _PAYLOAD.match(text.strip())
    if not m or m.group(1) not in known_intents:
        return None
    entities: list[EntityDict] = []
    if m.group(2):
        try:
            data = json.loads(m.group(2))
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        for key, value in data.items():
            if (value := _plain_value(value)) is not None:
                entities.append(EntityDict(entity=str(key), value=value, start=0, end=0, extractor="payload"))
    intent = m.group(1)
    return ParseResult(
        text=text,
        intent={"name": intent, "confidence": 1.0},
        intent_ranking=[{"name": intent, "confidence": 1.0}],
        entities=entities,
    )


# Payloads are typed by anyone: values beyond these are not what any button sends, and are dropped.
_MAX_NUMBER = 10**9
_MAX_CHARS = 200


def _plain_value(value: object) -> str | int | None:
    """A payload value as a button would carry it: short text or a modest whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    if isinstance(value, int):
        return value if abs(value) < _MAX_NUMBER else None
    if isinstance(value, str):
        # "\u0000" in a payload's JSON is a real NUL once decoded: no database stores it, no button sends it.
        if len(value) > _MAX_CHARS or any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            return None
        return value
    return None


def make_payload(intent: str, entities: dict[str, object] | None = None) -> str:
    """The payload text for a button."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
