"""Work that must run in one process at a time, however many serve: a PostgreSQL advisory lock.

Telegram allows one poller per bot, and the loop that queues reminders and rating requests needs to run
once, not once per worker. Each such loop is led by whichever process holds a session-level advisory lock
on its name; the lock lives on a connection of its own, so when that process dies (even by SIGKILL) the
server ends the session, frees the lock, and another process takes the work over within a few seconds.
SQLite serves one process, so there the work simply runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
# The led work: given an event that asks it to finish, it runs until then.
Work = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a name (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def lead(engine: AsyncEngine, name: str, work: Work,
               stop: asyncio.Event, *, retry_seconds: float = 5.0) -> None:
    """Run `work(stop_work)` while this process holds the lock `name`; try again when it does not.

    `work` must return soon after its event is set: that happens when `stop` is set or the lock's
    connection is lost (another process may then be leading).
    """
    if engine.dialect.name != "postgresql":
        await work(stop)
        return
    key = lock_key(name)
    while not stop.is_set():
        try:
            async with engine.connect() as conn:
                held = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                await conn.commit()
                if held:
                    log.info("this process now leads %s", name)
                    await _while_held(conn, work, stop, retry_seconds)
                    with contextlib.suppress(Exception):
                        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        await conn.commit()
        except Exception:
            log.warning("leadership of %s interrupted; trying again", name, exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), retry_seconds)


async def _while_held(conn: AsyncConnection, work: Work, stop: asyncio.Event,
                      retry_seconds: float) -> None:
    """Run the work; check the lock's connection every few seconds, and stop the work when it is gone."""
    stop_work = asyncio.Event()
    task = asyncio.create_task(work(stop_work))
    try:
        while not stop.is_set() and not task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_seconds)
            await conn.execute(text("SELECT 1"))
            await conn.commit()
    finally:
        stop_work.set()
        await task
