"""Access tokens of outside APIs (WeChat, WeCom), cached in the database and refreshed once for all processes.

WeChat hands out a token valid for two hours, counts refreshes against a daily quota, and invalidates the
previous token on each refresh: if every worker refreshed on its own they would keep knocking each other's
token out. So the token lives in one row per app; whoever finds it stale locks that row (SELECT … FOR UPDATE
on PostgreSQL, the write lock on SQLite), fetches, and stores; the others wait on the lock and then find
the fresh token instead of fetching again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.backend.models import AccessToken, utcnow

log = logging.getLogger(__name__)
# A token this close to its expiry is treated as expired: a call started now must not outlive it.
MARGIN = dt.timedelta(minutes=5)
# Fetches a new token: returns it and how many seconds it is valid.
Fetch = Callable[[], Awaitable[tuple[str, int]]]


class AccessTokens:
    """The shared token cache; `fetch` is only called by the one process refreshing an app's token."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession],
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock

    async def get(self, app: str, fetch: Fetch) -> str:
        """A valid token for `app`: the stored one while it lasts, else a fresh one fetched once."""
        async with self.sessionmaker() as session:
            row = await session.get(AccessToken, app)
            if row is not None and self._valid(row):
                return row.token
        await self._ensure_row(app)
        async with self.sessionmaker() as session, session.begin():
            row = await self._locked(session, app)
            if self._valid(row):
                return row.token  # another process refreshed it while this one waited for the lock
            token, seconds = await fetch()
            row.token = token
            row.expires_at = self.clock() + dt.timedelta(seconds=max(int(seconds), 0))
            log.info("access token of %s refreshed", app)
            return token

    async def expire(self, app: str, stale: str) -> None:
        """The API refused `stale` (40001, 42001): drop it, unless another process already replaced it."""
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(AccessToken).where(AccessToken.app == app, AccessToken.token == stale).values(expires_at=None)
            )

    def _valid(self, row: AccessToken) -> bool:
        return bool(row.token) and row.expires_at is not None and row.expires_at - MARGIN > self.clock()

    async def _ensure_row(self, app: str) -> None:
        """Create the app's row once, so there is something to lock (two creators: one wins, both go on)."""
        try:
            async with self.sessionmaker() as session, session.begin():
                if await session.get(AccessToken, app) is None:
                    session.add(AccessToken(app=app, token="", expires_at=None))
        except IntegrityError:
            pass

    async def _locked(self, session: AsyncSession, app: str) -> AccessToken:
        """The app's row, locked until the transaction ends (SQLite: its transactions begin IMMEDIATE,
        so the write lock is already held; `populate_existing` rereads what a waiter missed)."""
        stmt = (select(AccessToken).where(AccessToken.app == app).with_for_update()
                .execution_options(populate_existing=True))
        return (await session.execute(stmt)).scalar_one()
