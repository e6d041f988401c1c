"""Starting a channel's own service (a Telegram or WeChat client) with the app, inside its lifespan.

Channels call `run_alongside` from the mount function the app factory calls; it sits below the routers
so that a channel never imports the app factory that mounts it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI


def run_alongside(app: FastAPI, start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
    """Start a channel's service when the app starts and stop it when the app stops, inside its lifespan."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            await start()
            try:
                yield state
            finally:
                await stop()

    app.router.lifespan_context = lifespan


__all__ = ["run_alongside"]
