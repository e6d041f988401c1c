"""The wording of what the system tells residents by itself (resident_texts.yml), filled in one place.

Messages a turn produces come from the dialogue's response files; these are the ones staff actions and
background work send (status changes, cancellations, reminders, rating requests), kept in a texts file
for the same reason: wording changes without touching Python.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

TEXTS = Path(__file__).with_name("resident_texts.yml")


@cache
def _texts() -> dict[str, str]:
    with open(TEXTS, encoding="utf-8") as fh:
        return {str(k): str(v) for k, v in (yaml.safe_load(fh) or {}).items()}


def say(key: str, **values: object) -> str:
    """The text `key` with its {names} filled in (KeyError for a key or a name the file lacks)."""
    return _texts()[key].format(**values)


def joined(key: str, value: str) -> str:
    """An optional tail (a staff note, a reason) joined as the texts file says, or nothing when empty."""
    return say(key, **{key.removesuffix("_joiner"): value}) if value else ""
