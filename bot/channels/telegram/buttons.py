"""Buttons on Telegram: inline keyboards with callback data, or big reply keyboards in elderly mode.

Telegram limits callback data to 64 bytes. A payload that fits is sent as is; a longer one is sent as
`#` plus a hash of the payload and remembered in a bounded in-memory map. After a restart, or when another
worker sent the button, the map does not have it, so a hash is looked up in the buttons of the resident's
recent bot messages, which the engine stores anyway: no extra table, and old buttons keep working (the
hash is the same in every process, so the map is only a shortcut). Reply-keyboard buttons send their
title as text, which is turned back into the payload from the stored buttons every time: a title map
kept in memory would be stale as soon as another worker showed the resident a newer keyboard.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.backend.models import Conversation, Message
from bot.backend.residents import find_identity
from bot.channels.telegram.texts import text
from bot.dialogue.domain import Button

MAX_CALLBACK_BYTES = 64
HUMAN_PAYLOAD = "/request_human"
_KEY_PREFIX = "#"


def callback_key(payload: str) -> str:
    """The short, stable key sent instead of a payload too long for callback data."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
    return _KEY_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")


def fits(payload: str) -> bool:
    """Whether a payload can travel as callback data itself."""
    return len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(_KEY_PREFIX)


class ButtonMemory:
    """Turns pressed buttons back into payloads."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], size: int = 20_000) -> None:
        self.sessionmaker = sessionmaker
        self.size = size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def callback_data(self, payload: str) -> str:
        """What to put in a button's callback data."""
        if fits(payload):
            return payload
        key = callback_key(payload)
        self._remember(self._payloads, key, payload)
        return key

    async def payload_for_callback(self, sender: str, data: str) -> str | None:
        """The payload behind callback data; None when the button is unknown."""
        if not data.startswith(_KEY_PREFIX):
            return data
        if data in self._payloads:
            return self._payloads[data]
        for buttons in await self._recent_buttons(sender):
            for button in buttons:
                if callback_key(button.payload) == data:
                    return button.payload
        return None

    async def payload_for_title(self, sender: str, title: str) -> str | None:
        """The payload of a reply-keyboard button the resident tapped (its title arrives as text)."""
        titles: dict[str, str] = {}
        for buttons in reversed(await self._recent_buttons(sender, limit=5)):  # the newest keyboard wins
            titles.update({b.title: b.payload for b in buttons})
        if title in titles:
            return titles[title]
        return HUMAN_PAYLOAD if title == text("human_title") else None

    async def _recent_buttons(self, sender: str, limit: int = 20) -> list[list[Button]]:
        """The buttons of the resident's last bot messages that had any, newest first."""
        async with self.sessionmaker() as session:
            identity = await find_identity(session, "telegram", sender)
            if identity is None:
                return []
            stmt = (
                select(Message.buttons)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.identity_id == identity.id, Message.direction == "out")
                .order_by(Message.id.desc())
                .limit(limit)
            )
            rows = (await session.execute(stmt)).scalars()
            out = [
                [
                    Button(str(b["title"]), str(b["payload"]))
                    for b in (row or [])
                    if isinstance(b, dict) and "title" in b and "payload" in b
                ]
                for row in rows
            ]
            return [buttons for buttons in out if buttons]

    def _remember(self, store: OrderedDict[str, Any], key: str, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > self.size:
            store.popitem(last=False)


def inline_keyboard(memory: ButtonMemory, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    """Inline buttons, two short ones per row, long ones alone."""
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        button = InlineKeyboardButton(b.title, callback_data=memory.callback_data(b.payload))
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= 6 and len(b.title) <= 6:
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows)


def elderly_keyboard(buttons: Sequence[Button]) -> tuple[ReplyKeyboardMarkup, list[Button]]:
    """Big reply keyboard, one or two buttons a row, always ending with 转人工; also returns its buttons."""
    human = text("human_title")
    shown = [b for b in buttons if b.payload != HUMAN_PAYLOAD and b.title != human]
    shown.append(Button(human, HUMAN_PAYLOAD))
    rows: list[list[KeyboardButton]] = []
    for b in shown[:-1]:
        if rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= 4 and len(b.title) <= 4:
            rows[-1].append(KeyboardButton(b.title))
        else:
            rows.append([KeyboardButton(b.title)])
    rows.append([KeyboardButton(human)])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True), shown
