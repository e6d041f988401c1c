"""Fixtures for the Telegram channel: a fake Bot API server and the real bot running against it.

`plumbing` tests (webhook secret, blocking, redelivery, flood, buttons) use only button payloads and
commands, which skip the NLU, so they run on a one-line parser; conversation tests use the real models.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import BaseUpdateProcessor

from bot.config import Settings
from tests.channels.fake_bot_api import TOKEN, Call, FakeBotApi, callback_update, message_update
from tests.conftest import FixedClock, _base_settings

WEBHOOK_SECRET = "tgHook_8fK2qLm9ZxR4vN7cB1wT5yH3pQ"  # strong, as it must be outside development


class UnderstandsNothing:
    """An NLU that knows no intent: enough where only commands and button payloads are sent."""

    def parse(self, text: str, now: Any = None) -> dict[str, Any]:
        return {
            "text": text,
            "intent": {"name": "nlu_fallback", "confidence": 0.0},
            "intent_ranking": [],
            "entities": [],
        }


class FindsNothing:
    """A retriever with an empty index."""

    def search(self, query: str, k: int = 5) -> list[Any]:
        return []


class TrackingProcessor(BaseUpdateProcessor):
    """Processes updates one at a time and records which are done, so tests wait for exactly that."""

    def __init__(self) -> None:
        super().__init__(1)
        self.done: list[int] = []

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        try:
            await coroutine
        finally:
            self.done.append(getattr(update, "update_id", -1))

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def wait(self, update_id: int, times: int = 1, timeout: float = 60) -> None:
        """Until the update has been processed `times` times."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.done.count(update_id) < times:
            assert loop.time() < deadline, f"update {update_id} not processed"
            await asyncio.sleep(0.005)


def telegram_settings(settings: Settings, fake: FakeBotApi, **extra: Any) -> Settings:
    """Settings pointing every Telegram address at the fake server."""
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_base_url": f"{fake.url}/bot",
            "telegram_api_file_url": f"{fake.url}/file/bot",
            "telegram_webhook_secret": SecretStr(WEBHOOK_SECRET),
            **extra,
        }
    )


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    """A running fake Bot API."""
    fake = FakeBotApi()
    server = fake.start()
    yield fake
    server.stop()


@pytest.fixture
def plumbing_settings(database_url: str, tmp_path: Path, fake_api: FakeBotApi) -> Settings:
    """Settings on a fresh database, Telegram pointed at the fake, no trained models needed."""
    return telegram_settings(
        _base_settings(database_url=database_url, model_dir=tmp_path / "models"), fake_api
    )


class Harness:
    """The real bot (long polling against the fake) and ways to talk to it."""

    def __init__(self, fake: FakeBotApi, service: Any, processor: TrackingProcessor) -> None:
        self.fake = fake
        self.service = service
        self.processor = processor

    async def deliver(self, update: dict[str, Any], *, redeliver: bool = False, times: int = 1) -> None:
        """Queue an update and wait until the bot has processed it."""
        self.fake.push(update, redeliver=redeliver)
        await self.processor.wait(update["update_id"], times)

    def resident(self, user_id: int | None = None, **kw: Any) -> TelegramResident:
        """A new resident with their own Telegram account."""
        return TelegramResident(self, user_id or int(uuid.uuid4().int % 10**9) + 10**9, **kw)


class TelegramResident:
    """One Telegram user: sends messages, presses buttons, reads what came back."""

    def __init__(self, harness: Harness, user_id: int, chat_id: int | None = None) -> None:
        self.h = harness
        self.user_id = user_id
        self.chat_id = chat_id or user_id
        self.last: list[Call] = []
        self.last_update_id = 0

    async def send(self, **content: Any) -> list[Call]:
        """Send a message with any content (text=, location=, photo=, voice=, sticker= …)."""
        uid = self.h.fake.next_update_id()
        return await self._deliver(message_update(uid, self.user_id, chat_id=self.chat_id, **content))

    async def say(self, text: str) -> list[Call]:
        """Send text."""
        return await self.send(text=text)

    async def press(self, title_part: str) -> list[Call]:
        """Press the first inline button of the last replies whose title contains `title_part`."""
        for call in reversed(self.last):
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if title_part in button["text"]:
                        message = {
                            "message_id": 1,
                            "date": 0,
                            "chat": {"id": self.chat_id, "type": "private"},
                            "text": call.params.get("text", ""),
                            "reply_markup": call.params["reply_markup"],
                        }
                        uid = self.h.fake.next_update_id()
                        return await self._deliver(
                            callback_update(uid, self.user_id, button["callback_data"], message)
                        )
        raise AssertionError(f"no button with {title_part!r} in {self.buttons}")

    async def _deliver(self, update: dict[str, Any]) -> list[Call]:
        before = len(self.h.fake.sent(self.chat_id))
        self.last_update_id = update["update_id"]
        self.last_update = update
        await self.h.deliver(update)
        self.last = self.h.fake.sent(self.chat_id)[before:]
        return self.last

    def pushed(self, before: int) -> list[Call]:
        """Messages pushed to this chat (by the outbox sender) since `before` messages; they become `last`."""
        self.last = self.h.fake.sent(self.chat_id)[before:]
        return self.last

    @property
    def received(self) -> int:
        """How many messages this chat has received so far."""
        return len(self.h.fake.sent(self.chat_id))

    @property
    def text(self) -> str:
        """The texts of the last replies, joined."""
        return "\n".join(c.params.get("text", "") for c in self.last)

    @property
    def buttons(self) -> list[str]:
        """Titles of the inline buttons of the last replies."""
        return [
            b["text"]
            for c in self.last
            for row in (c.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ]

    @property
    def keyboard(self) -> list[list[str]]:
        """Rows of the reply keyboard (elderly mode) of the last replies."""
        for c in reversed(self.last):
            rows = (c.params.get("reply_markup") or {}).get("keyboard")
            if rows:
                return [[b["text"] if isinstance(b, dict) else b for b in row] for row in rows]
        return []


async def start_harness(
    settings: Settings, fake: FakeBotApi, nlu: Any, retriever: Any, clock: FixedClock
) -> tuple[Harness, Any]:
    """Build the runtime on the test's clock and run the bot by long polling against the fake."""
    from bot.bootstrap import build_runtime
    from bot.channels.telegram.application import TelegramService

    runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
    processor = TrackingProcessor()
    service = TelegramService(runtime, polling=True, update_processor=processor, sender_interval=3600)
    await service.start()
    return Harness(fake, service, processor), runtime


@pytest.fixture
async def plumbing(plumbing_settings: Settings, fake_api: FakeBotApi, clock: FixedClock) -> AsyncIterator[Harness]:
    """The bot on a parser that understands nothing (commands and buttons only)."""
    harness, runtime = await start_harness(plumbing_settings, fake_api, UnderstandsNothing(), FindsNothing(), clock)
    yield harness
    await harness.service.stop()
    await runtime.close()


@pytest.fixture
async def telegram(
    settings: Settings, fake_api: FakeBotApi, nlu: Any, retriever: Any, clock: FixedClock
) -> AsyncIterator[Harness]:
    """The bot on the real NLU and retriever."""
    harness, runtime = await start_harness(telegram_settings(settings, fake_api), fake_api, nlu, retriever, clock)
    yield harness
    await harness.service.stop()
    await runtime.close()
