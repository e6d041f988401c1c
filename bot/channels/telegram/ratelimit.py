"""Per-resident flood control: a sliding window of message times, one polite warning, then silence.

Hand-written rather than built on a rate-limit library because what we need besides the window is the
"warned once" state per sender, and the window itself is a deque; a dependency would not make it shorter.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]


class FloodGuard:
    """`limit` messages per `window` seconds per sender; the first one over is warned, the rest dropped."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._warned: set[str] = set()

    def check(self, sender: str) -> Verdict:
        """Record one message from `sender` and say whether to answer, warn, or drop it."""
        now = self.clock()
        hits = self._hits.setdefault(sender, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._warned.discard(sender)
            if len(self._hits) > 10_000:
                self._forget_idle(now)
            return "ok"
        if sender in self._warned:
            return "drop"
        self._warned.add(sender)
        return "warn"

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, q in self._hits.items() if not q or now - q[-1] >= self.window]
        for key in idle:
            del self._hits[key]
            self._warned.discard(key)


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
