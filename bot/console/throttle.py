"""Slowing down password guessing on the console login, per username and per client address.

Hand-written rather than a rate-limit library (slowapi, limits): those count every request in a
fixed window, while here only failures count, a success clears the account's count, and the lockout
grows with each further failure. Counts live in this process's memory; with several workers each
keeps its own, which still caps guessing at a small multiple of one worker's rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Failure counters with an exponentially growing lockout once the free attempts are used."""

    def __init__(self, *, free_per_user: int = 5, free_per_ip: int = 20, base_seconds: float = 30.0,
                 max_seconds: float = 900.0, forget_after: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = {"user": free_per_user, "ip": free_per_ip}
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.forget_after = forget_after
        self.clock = clock
        self._records: dict[tuple[str, str], _Record] = {}

    def _keys(self, username: str, ip: str) -> list[tuple[str, str]]:
        return [("user", username.strip().lower()), ("ip", ip)]

    def _record(self, key: tuple[str, str], now: float) -> _Record | None:
        rec = self._records.get(key)
        if rec is not None and now - rec.last > self.forget_after and rec.locked_until <= now:
            del self._records[key]
            return None
        return rec

    def wait_seconds(self, username: str, ip: str) -> int:
        """Seconds until this username may try again from this address (0: go ahead)."""
        now = self.clock()
        waits = [rec.locked_until - now for key in self._keys(username, ip)
                 if (rec := self._record(key, now)) is not None]
        return max(0, int(max(waits, default=0.0) + 0.999))

    def failed(self, username: str, ip: str) -> None:
        """Count a failed attempt; past the free ones, lock for 30 s, 60 s, 120 s … up to 15 min."""
        now = self.clock()
        if len(self._records) > 10_000:
            self._prune(now)
        for key in self._keys(username, ip):
            rec = self._record(key, now) or self._records.setdefault(key, _Record())
            rec.failures += 1
            rec.last = now
            extra = rec.failures - self.free[key[0]]
            if extra > 0:
                rec.locked_until = now + min(self.max_seconds, self.base_seconds * 2 ** (extra - 1))

    def succeeded(self, username: str) -> None:
        """The right password clears the account's count (the address keeps its own)."""
        self._records.pop(("user", username.strip().lower()), None)

    def _prune(self, now: float) -> None:
        for key in list(self._records):
            self._record(key, now)
