"""What both WeChat channels share: photos waiting for their request, and choices written into text."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence

from fastapi import Request

from bot.dialogue import choices
from bot.dialogue.domain import Reply
from bot.dialogue.engine import DialogueEngine, TurnResult

PHOTO_MEMORY_SECONDS = 30 * 60


class PendingPhotos:
    """Photos a resident sent, kept (by media id) until the request they belong to is filed.

    The request form reads `photos` from the metadata of the message that submits it, as on Telegram.
    """

    def __init__(self) -> None:
        self._photos: dict[str, tuple[float, list[str]]] = {}

    def add(self, sender: str, media_id: str) -> None:
        """Keep one more photo of this resident's (the last ten)."""
        self._photos[sender] = (time.monotonic(), [*self.pending(sender), media_id][-10:])

    def pending(self, sender: str) -> list[str]:
        """The photos still waiting for a request."""
        entry = self._photos.get(sender)
        if entry is None or time.monotonic() - entry[0] > PHOTO_MEMORY_SECONDS:
            self._photos.pop(sender, None)
            return []
        return entry[1]

    def settle(self, sender: str, result: TurnResult) -> None:
        """Forget the photos once the turn has filed the work order they went with."""
        if result.did("work_order_filed"):
            self._photos.pop(sender, None)


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
