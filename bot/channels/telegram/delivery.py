"""Calling the Bot API with the retries Telegram asks for, and noting residents who blocked the bot.

429 RetryAfter   wait as long as Telegram says (up to a cap), then try again
NetworkError     a dropped connection or time-out: back off exponentially and try again
BadRequest       our mistake (it subclasses NetworkError in python-telegram-bot): never retried
Forbidden        the resident blocked the bot: raised, the caller marks the identity inactive
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.backend.models import ChannelIdentity

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_RETRY_AFTER = 30.0


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter's wait in seconds (python-telegram-bot gives an int or a timedelta)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run one Bot API call, retrying flood waits and network trouble; other errors are raised."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if attempt == attempts or wait > MAX_RETRY_AFTER:
                raise
            log.warning("telegram flood control: waiting %.1fs", wait)
            await sleep(wait)
        except BadRequest:
            raise
        except NetworkError as exc:
            if attempt == attempts:
                raise
            delay = base_delay * 2 ** (attempt - 1)
            log.warning("telegram network error (%s); retry %d in %.1fs", exc, attempt, delay)
            await sleep(delay)
    raise AssertionError("unreachable")


async def mark_blocked(sessionmaker: async_sessionmaker[AsyncSession], external_id: str) -> None:
    """The resident blocked the bot: stop pushing to them until they write again."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == external_id)
            .values(active=False)
        )
    log.info("telegram identity %s blocked the bot; marked inactive", external_id)
