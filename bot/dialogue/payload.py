"""Button payloads in Rasa's syntax: `/intent` or `/intent{"entity": "value"}`."""

from __future__ import annotations

import json
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
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                entities.append(EntityDict(entity=str(key), value=value if not isinstance(value, float) else int(value),
                                           start=0, end=0, extractor="payload"))
    intent = m.group(1)
    return ParseResult(
        text=text,
        intent={"name": intent, "confidence": 1.0},
        intent_ranking=[{"name": intent, "confidence": 1.0}],
        entities=entities,
    )


def make_payload(intent: str, entities: dict[str, object] | None = None) -> str:
    """The payload text for a button."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
