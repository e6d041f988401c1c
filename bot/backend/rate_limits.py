"""Counting requests per minute for rate limits, shared by every server process.

Where the counts live:
- in Redis when REDIS_URL is set (the `limits` library's moving window);
- in PostgreSQL otherwise, when the database is PostgreSQL: several workers (`linli serve --workers N`,
  or replicas behind a load balancer) then share one limit instead of each allowing the full rate;
- in this process's memory on SQLite, where one process is the supported mode.

A limit that cannot be checked (Redis or the database down) lets the request through: a resident must not
go unanswered because a counter is unreachable; the failure is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import random
import time
from collections.abc import Callable
from typing import Protocol

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings

log = logging.getLogger(__name__)


def storage_uri(settings: Settings) -> str:
    """`async+redis://…` for a configured Redis, else this process's memory."""
    if settings.redis_url:
        return "async+" + settings.redis_url
    return "async+memory://"


class _Counter(Protocol):
    async def wait(self, scope: str, digest: str, per_minute: int) -> int: ...


class _LimitsCounter:
    """The `limits` library's moving window, in Redis or in memory."""

    def __init__(self, uri: str) -> None:
        options = {"implementation": "redispy"} if "redis" in uri else {}
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))

    async def wait(self, scope: str, digest: str, per_minute: int) -> int:
        item = RateLimitItemPerMinute(per_minute)
        if await self._limiter.hit(item, scope, digest):
            return 0
        stats = await self._limiter.get_window_stats(item, scope, digest)
        return max(1, math.ceil(stats.reset_time - time.time()))


# One statement: count this request in its minute and read the minute before.
_HIT = text("""
WITH hit AS (
    INSERT INTO rate_counts (scope, key, minute, hits) VALUES (:scope, :key, :minute, 1)
    ON CONFLICT (scope, key, minute) DO UPDATE SET hits = rate_counts.hits + 1
    RETURNING hits
)
SELECT (SELECT hits FROM hit),
       COALESCE((SELECT hits FROM rate_counts WHERE scope = :scope AND key = :key AND minute = :minute - 1), 0)
""")
_FORGET = text("DELETE FROM rate_counts WHERE minute < :minute - 1")


class PostgresCounter:
    """A sliding one-minute window over per-minute counts in PostgreSQL.

    Written here because the `limits` library has no SQL storage. The estimate is the usual sliding-window
    approximation: this minute's count plus the last minute's, weighted by how much of the last minute
    the window still covers. Every request is counted, also the refused ones, so a client that keeps
    hammering stays limited.
    """

    def __init__(self, engine: AsyncEngine, now: Callable[[], float] = time.time,
                 forget_every: int = 500) -> None:
        # Autocommit: one round trip per check, no transaction to open and close.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.now = now
        self.forget_every = forget_every

    async def wait(self, scope: str, digest: str, per_minute: int) -> int:
        now = self.now()
        minute, into = divmod(now, 60.0)
        async with self.engine.connect() as conn:
            row = (await conn.execute(_HIT, {"scope": scope, "key": digest, "minute": int(minute)})).one()
            # Old minutes are never read again: about one request in `forget_every` deletes them.
            if random.randrange(self.forget_every) == 0:
                await conn.execute(_FORGET, {"minute": int(minute)})
        current, previous = int(row[0]), int(row[1])
        if previous * (1 - into / 60.0) + current <= per_minute:
            return 0
        return max(1, math.ceil(60.0 - into))


class RateLimits:
    """One-minute windows keyed by what is limited (a sender, an address)."""

    def __init__(self, settings: Settings, db: AsyncEngine | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self._counter: _Counter
        if settings.redis_url or db is None or db.dialect.name != "postgresql":
            self._counter = _LimitsCounter(storage_uri(settings))
        else:
            self._counter = PostgresCounter(db, now=(lambda: clock().timestamp()) if clock else time.time)

    async def retry_after(self, scope: str, key: str, per_minute: int) -> int:
        """0 when this request may go ahead, else the seconds to wait; the request is counted."""
        if per_minute <= 0:
            return 0
        # Senders are secrets: the counter's key is a digest, never the sender itself.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        try:
            return await self._counter.wait(scope, digest, per_minute)
        except Exception:
            log.warning("rate limit %s could not be checked; letting the request through", scope, exc_info=True)
            return 0
