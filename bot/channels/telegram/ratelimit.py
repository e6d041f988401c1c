"""Per-resident flood control, and the update ids seen lately.

A resident may send `limit` messages a minute; the first one over is answered with one polite line, the rest
are dropped. Both counts are kept by the shared rate limits (bot.backend.rate_limits), so with several
workers behind the webhook, and Redis configured, a resident's messages are counted together wherever they
land: the warning is a second limit of one a minute.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from bot.backend.rate_limits import RateLimits

Verdict = Literal["ok", "warn", "drop"]


class FloodGuard:
    """`limit` messages a minute per sender; the first one over is warned, the rest dropped."""

    def __init__(self, limits: RateLimits, limit: int) -> None:
        self.limits = limits
        self.limit = limit

    async def check(self, sender: str) -> Verdict:
        """Count one message from `sender` and say whether to answer, warn, or drop it."""
        if not await self.limits.retry_after("telegram", sender, self.limit):
            return "ok"
        if not await self.limits.retry_after("telegram-warned", sender, 1):
            return "warn"
        return "drop"


class RecentIds:
    """The last `size` update ids seen, so a redelivered update is dropped before any work."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._order: deque[int] = deque()
        self._seen: set[int] = set()

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is seen, False for a repeat."""
        if update_id in self._seen:
            return False
        self._seen.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self.size:
            self._seen.discard(self._order.popleft())
        return True
