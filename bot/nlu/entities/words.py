"""The word lists of `words.yml` beside this module (surnames, forms of address, places, key terms)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

_WORDS_FILE = Path(__file__).resolve().with_name("words.yml")


@lru_cache(maxsize=1)
def entity_words() -> dict[str, object]:
    """The word lists of `words.yml`."""
    raw = yaml.safe_load(_WORDS_FILE.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def word_list(key: str) -> list[str]:
    """One list of `words.yml` (a YAML list, or a string of single characters)."""
    value = entity_words().get(key, [])
    if isinstance(value, str):
        return [c for c in value if not c.isspace()]
    return [str(v) for v in value] if isinstance(value, list) else []
