"""The WeChat channels' own resident-facing lines, kept as data in `texts.yml`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.errors import ConfigurationError

_FILE = Path(__file__).with_name("texts.yml")


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{_FILE} must map names to texts")
    return {str(k): str(v) for k, v in data.items()}


def text(name: str, **values: str) -> str:
    """A channel line by name, with `{placeholders}` filled in."""
    try:
        line = _texts()[name]
    except KeyError as exc:
        raise ConfigurationError(f"missing text {name!r} in {_FILE.name}") from exc
    return line.format(**values) if values else line
