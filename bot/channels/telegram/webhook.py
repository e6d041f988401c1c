"""`POST /telegram/webhook`: Telegram pushes updates here, proven by the secret token header."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request, Response
from telegram import Update

from bot.api.lifespan import run_alongside
from bot.bootstrap import Runtime
from bot.channels.telegram.application import TelegramService

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def install(app: FastAPI, runtime: Runtime) -> TelegramService:
    """Mount the webhook route and tie the bot's start and stop to the app's lifespan.

    Without TELEGRAM_WEBHOOK_URL nothing would ever call the route (a laptop running `make run` has no
    public address), so the bot then polls instead: setting the token is enough for Telegram to work.
    """
    service = TelegramService(runtime, polling=not runtime.settings.telegram_webhook_url)
    app.state.telegram = service
    expected = runtime.settings.telegram_webhook_secret
    if expected is None:
        log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")

    @app.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """One update from Telegram, processed before answering so Telegram's retries stay meaningful."""
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return Response(status_code=401)
        if expected is None or not secrets.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            return Response(status_code=403)
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return Response(status_code=400)  # JSON, but not an update: an array, a number, a string
            update = Update.de_json(data, service.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
            return Response(status_code=400)
        if update is None:
            return Response(status_code=400)
        # Handler errors are logged and answered by the error handler; Telegram always gets a 200.
        await service.application.process_update(update)
        return Response(status_code=200)

    run_alongside(app, service.start, service.stop)
    return service
