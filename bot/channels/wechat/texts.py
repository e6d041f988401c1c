"""The WeChat channels' own resident-facing lines, kept as data in `texts.yml` (see bot.channels.texts)."""

from __future__ import annotations

from pathlib import Path

from bot.channels.texts import channel_text

_FILE = Path(__file__).with_name("texts.yml")


def text(name: str, **values: str) -> str:
    """A channel line by name, with `{placeholders}` filled in."""
    return channel_text(_FILE, name, **values)
