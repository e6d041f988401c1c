"""A parse in exactly the shape Rasa's `/model/parse` answers, so tools written for Rasa read it as they expect.

Rasa adds to each entity the extractor's confidence (`confidence_entity`) and, when a component changed its
value, the `processors` that did (a synonym or normalisation: 明天 → 2026-12-07); and it lists the message's
tokens as `text_tokens` spans. Our pipeline reads characters rather than words (see bot/nlu/features.py), so
its tokens are single Chinese characters and runs of letters or digits: the spans it actually works on.
"""

from __future__ import annotations

import re
from typing import Any

from bot.nlu.types import ParseResult

_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")
# Our extractors are rules, lookups and patterns: what they find, they find with certainty.
RULE_CONFIDENCE = 1.0
NORMALISED = "EntitySynonymMapper"


def text_tokens(text: str) -> list[list[int]]:
    """Start and end of each token, as Rasa lists them."""
    return [[m.start(), m.end()] for m in _TOKEN.finditer(text)]


def rasa_parse(result: ParseResult) -> dict[str, Any]:
    """The parse with Rasa's fields filled in (nothing of ours removed)."""
    text = result["text"]
    entities = []
    for ent in result.get("entities", []):
        out: dict[str, Any] = dict(ent)
        out.setdefault("confidence_entity", RULE_CONFIDENCE)
        said = text[int(out.get("start", 0)):int(out.get("end", 0))]
        if said and str(out.get("value")) != said:
            out.setdefault("processors", [NORMALISED])
        entities.append(out)
    return {**dict(result), "entities": entities, "text_tokens": text_tokens(text)}
