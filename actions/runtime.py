"""What actions need from the running system: database sessions, catalog, retriever, clock.

rasa_sdk builds actions without arguments, so dependencies cannot come through constructors. Our
engine hands them over once with `configure()` at start-up and runs every turn inside one database
transaction that actions join through `session_scope()`. Under `python -m rasa_sdk --actions actions`
nothing is configured, and the first action builds the services from `Settings` (lazily, never at
import time) and uses a transaction of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from knowledge.loader import Catalog
from knowledge.schema import CommunitySettings


class SearchBackend(Protocol):
    """The retriever as actions use it (see knowledge.retriever)."""

    def search(self, query: str, k: int = 5) -> Any:
        """Ranked services for a query."""
        ...


@dataclass
class ActionServices:
    """Everything actions use, built once and passed in."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    catalog: Catalog
    communities: dict[str, CommunitySettings]
    retriever: SearchBackend | None = None
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def community(self, code: str | None) -> CommunitySettings:
        """The settings of a community, falling back to the default one."""
        if code and code in self.communities:
            return self.communities[code]
        if self.settings.default_community in self.communities:
            return self.communities[self.settings.default_community]
        return next(iter(self.communities.values()))

    def local_now(self, code: str | None = None) -> dt.datetime:
        """Now in the community's time zone."""
        return self.clock().astimezone(ZoneInfo(self.community(code).timezone))


_services: ActionServices | None = None
_turn_session: ContextVar[AsyncSession | None] = ContextVar("linli_turn_session", default=None)


def configure(services: ActionServices) -> None:
    """Install the services actions use (called by the engine at start-up and by tests)."""
    global _services
    _services = services


def get_services() -> ActionServices:
    """The installed services, built from Settings on first use in a standalone action server."""
    global _services
    if _services is None:
        from bot.bootstrap import build_action_services

        _services = build_action_services(Settings())
    return _services


@contextlib.contextmanager
def turn_session(session: AsyncSession) -> Any:
    """Make `session` the one actions join while a turn runs."""
    token = _turn_session.set(session)
    try:
        yield session
    finally:
        _turn_session.reset(token)


@contextlib.asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """The turn's session when run by our engine; otherwise a new transaction committed at the end."""
    current = _turn_session.get()
    if current is not None:
        yield current
        return
    async with get_services().sessionmaker() as session, session.begin():
        yield session
