"""What both WeChat channels share: choices written into text, and who sent a callback."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from fastapi import Request

from bot.dialogue import choices
from bot.dialogue.domain import Reply
from bot.dialogue.engine import DialogueEngine


def written_out(replies: Sequence[Reply], engine: DialogueEngine) -> list[Reply]:
    """Pushed messages with buttons (a rating request) as text: the choices numbered, as in a turn's replies.

    Copies: the replies given belong to the caller. The resident answers with the number or the words, and
    the engine picks the choice from the stored message's buttons.
    """
    out = [copy.deepcopy(r) for r in replies]
    choices.write_out(out, engine.domain.render)
    return out


def client_address(request: Request) -> str:
    """Who sent a callback, for the log line of a refused one (never its body)."""
    return request.client.host if request.client is not None else "?"
