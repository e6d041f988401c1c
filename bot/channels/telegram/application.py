"""Assembling the python-telegram-bot Application and running it (webhook or long polling) with the sender.

Every address comes from the settings (`TELEGRAM_API_BASE_URL`, `TELEGRAM_API_FILE_URL`), so tests and
self-hosted Bot API servers work without code changes; the request objects and the update processor
can be injected like any other dependency.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.backend.leadership import lead
from bot.bootstrap import Runtime
from bot.channels.sender import OutboxSender, RecipientGone
from bot.channels.telegram.handlers import TelegramChannel
from bot.dialogue.domain import Reply
from bot.errors import BackendUnavailable, ConfigurationError

log = logging.getLogger(__name__)
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def build_application(
    runtime: Runtime,
    *,
    polling: bool = True,
    request: BaseRequest | None = None,
    update_processor: BaseUpdateProcessor | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot application with Linli's handlers; the channel object is in `bot_data["channel"]`."""
    settings = runtime.settings
    if settings.telegram_bot_token is None:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
    )
    if request is not None:
        builder = builder.request(request)
    if update_processor is not None:
        builder = builder.concurrent_updates(update_processor)
    if not polling:
        builder = builder.updater(None)
    app = builder.build()
    channel = TelegramChannel(runtime)
    app.bot_data["channel"] = channel
    app.add_handler(TypeHandler(Update, channel.gate), group=-1)
    app.add_handlers(
        [
            CommandHandler("start", channel.on_start),
            CommandHandler("help", channel.on_help),
            CommandHandler("human", channel.on_human),
            CommandHandler("elder", channel.on_elder),
            CallbackQueryHandler(channel.on_callback),
            MessageHandler(filters.LOCATION | filters.VENUE, channel.on_location),
            MessageHandler(filters.PHOTO, channel.on_photo),
            MessageHandler(filters.CONTACT, channel.on_contact),
            MessageHandler(filters.VOICE | filters.AUDIO, channel.on_voice),
            MessageHandler(filters.TEXT, channel.on_text),
            MessageHandler(filters.ALL, channel.on_other),
        ]
    )
    app.add_error_handler(channel.on_error)
    return app


class TelegramService:
    """The application plus the outbox sender, started and stopped together."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        polling: bool,
        request: BaseRequest | None = None,
        update_processor: BaseUpdateProcessor | None = None,
        sender_interval: float = 2.0,
    ) -> None:
        self.runtime = runtime
        self.polling = polling
        self.application = build_application(
            runtime, polling=polling, request=request, update_processor=update_processor
        )
        self.channel: TelegramChannel = self.application.bot_data["channel"]
        self.sender = OutboxSender(runtime, self.push, interval=sender_interval)
        self._sender_task: asyncio.Task[None] | None = None
        self._polling_task: asyncio.Task[None] | None = None
        self._stop_polling = asyncio.Event()

    async def push(self, chat_id: str, sender: str, replies: Sequence[Reply]) -> None:
        """Deliver outbox messages, turning Bot API errors into the sender's terms."""
        try:
            await self.channel.deliver(self.application.bot, chat_id, sender, replies)
        except Forbidden as exc:
            raise RecipientGone(str(exc)) from exc
        except TelegramError as exc:
            raise BackendUnavailable(f"telegram: {exc}") from exc

    async def start(self) -> None:
        """Connect to the Bot API, register the webhook (if configured) or start polling, start the sender."""
        app, settings = self.application, self.runtime.settings
        await app.initialize()
        await app.start()
        if self.polling:
            # Telegram serves getUpdates to one poller per bot: with several workers, the one that leads.
            self._stop_polling = asyncio.Event()
            self._polling_task = asyncio.create_task(
                lead(self.runtime.db, "telegram-polling", self._poll, self._stop_polling), name="telegram-polling")
        elif settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            await app.bot.set_webhook(
                settings.telegram_webhook_url,
                allowed_updates=ALLOWED_UPDATES,
                secret_token=secret.get_secret_value() if secret else None,
            )
            log.info("telegram webhook set to %s", settings.telegram_webhook_url)
        self._sender_task = asyncio.create_task(self.sender.run(), name="telegram-outbox")

    async def _poll(self, finish: asyncio.Event) -> None:
        """Poll for updates until asked to finish."""
        updater = self.application.updater
        assert updater is not None
        await updater.start_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=10)
        try:
            await finish.wait()
        finally:
            if updater.running:
                await updater.stop()

    async def stop(self) -> None:
        """Stop polling, the sender and the application, in that order."""
        if self._polling_task is not None:
            self._stop_polling.set()
            await self._polling_task
        self.sender.stop()
        if self._sender_task is not None:
            await self._sender_task
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def run_until(self, stop: asyncio.Event) -> None:
        """Run (polling or webhook) until `stop` is set."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
