"""A channel's own resident-facing lines (menus, flood warnings, "please type"), kept as data in a YAML file
beside the channel's code, so wording is changed without reading Python."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.errors import ConfigurationError


@lru_cache(maxsize=8)
def _texts(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must map names to texts")
    return {str(k): str(v) for k, v in data.items()}


def channel_text(path: Path, name: str, **values: str) -> str:
    """A line by name from the channel's texts file, with `{placeholders}` filled in."""
    try:
        line = _texts(path)[name]
    except KeyError as exc:
        raise ConfigurationError(f"missing text {name!r} in {path.name}") from exc
    return line.format(**values) if values else line
