"""The app factory for process managers: each worker process builds its own runtime from the settings.

`linli serve --workers N` uses it, and so can any ASGI process manager:

    uvicorn --factory bot.api.factory:app_from_settings --workers 4
    gunicorn -k uvicorn.workers.UvicornWorker -w 4 'bot.api.factory:app_from_settings()'

Models load once per process; everything the workers share (conversations, outbox, throttles, leadership of
background work) lives in PostgreSQL, and rate limits in Redis when REDIS_URL is set. Run `linli db upgrade`
once before starting workers (`linli serve` does).
"""

from __future__ import annotations

from fastapi import FastAPI


def app_from_settings() -> FastAPI:
    """A fully built app for this process, configured from the environment and `.env`."""
    from bot.api.app import create_app
    from bot.bootstrap import build_runtime
    from bot.config import Settings
    from bot.logging_setup import setup_logging

    settings = Settings()
    setup_logging(settings.log_level, fmt=settings.log_format)
    return create_app(build_runtime(settings))
