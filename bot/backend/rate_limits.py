"""Counting requests per minute for rate limits, on the `limits` library, shared through Redis when set.

Counts live in this process's memory, or in Redis when REDIS_URL is set so that several server processes
share them. A limit that cannot be checked (Redis down) lets the request through: a resident must not go
unanswered because a counter is unreachable; the failure is logged.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from bot.config import Settings

log = logging.getLogger(__name__)


def storage_uri(settings: Settings) -> str:
    """`async+redis://…` for a configured Redis, else this process's memory."""
    if settings.redis_url:
        return "async+" + settings.redis_url
    return "async+memory://"


class RateLimits:
    """Moving one-minute windows keyed by what is limited (a sender, an address)."""

    def __init__(self, settings: Settings) -> None:
        uri = storage_uri(settings)
        options = {"implementation": "redispy"} if "redis" in uri else {}
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))

    async def retry_after(self, scope: str, key: str, per_minute: int) -> int:
        """0 when this request may go ahead, else the seconds to wait; the request is counted."""
        if per_minute <= 0:
            return 0
        item = RateLimitItemPerMinute(per_minute)
        # Senders are secrets: the counter's key is a digest, never the sender itself.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        try:
            if await self._limiter.hit(item, scope, digest):
                return 0
            stats = await self._limiter.get_window_stats(item, scope, digest)
        except Exception:
            log.warning("rate limit %s could not be checked; letting the request through", scope, exc_info=True)
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))
