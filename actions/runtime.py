"""What actions need from the running system: database sessions, catalog, retriever, clock.

rasa_sdk builds actions without arguments, so dependencies cannot come through constructors. They come
with the turn instead: the dialogue engine runs each turn inside `using_services(its services)`, which
sets a ContextVar that `get_services()` reads, and inside one database transaction that actions join
through `session_scope()`. Two engines in one process (two apps, a test beside a server) therefore
never see each other's services, and concurrent turns each see their own. Served to a Rasa server,
`actions.server` sets them around each request the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.errors import ConfigurationError
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


_services: ContextVar[ActionServices | None] = ContextVar("linli_action_services", default=None)
_turn_session: ContextVar[AsyncSession | None] = ContextVar("linli_turn_session", default=None)
_turn_events: ContextVar[list[DomainEvent] | None] = ContextVar("linli_turn_events", default=None)


def build_action_services(
    settings: Settings,
    *,
    retriever: SearchBackend | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    db: AsyncEngine | None = None,
    catalog: Catalog | None = None,
) -> ActionServices:
    """What actions need, built from the settings (the app's start-up and the standalone action server).

    A catalog already loaded may be passed in: it takes about a second to load, and runs of many
    short conversations (the conversation tests) share one.
    """
    from bot.backend.db import create_engine, create_sessionmaker
    from knowledge.index_build import ReloadingRetriever
    from knowledge.loader import load_catalog, load_communities

    db = db or create_engine(settings.database_url)
    return ActionServices(
        settings=settings,
        sessionmaker=create_sessionmaker(db),
        catalog=catalog if catalog is not None else load_catalog(settings.catalog_dir),
        communities=load_communities(settings.communities_dir),
        retriever=retriever if retriever is not None else ReloadingRetriever(settings),
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
    )


@contextlib.contextmanager
def using_services(services: ActionServices) -> Iterator[ActionServices]:
    """Make `services` the ones actions (and the dialogue policy) use until the block ends."""
    token = _services.set(services)
    try:
        yield services
    finally:
        _services.reset(token)


def get_services() -> ActionServices:
    """The services of the turn being run; ConfigurationError outside one (a caller forgot `using_services`)."""
    services = _services.get()
    if services is None:
        raise ConfigurationError("actions ran outside a turn: no services set (see actions.runtime.using_services)")
    return services


@dataclass(frozen=True)
class DomainEvent:
    """Something an action did that a channel may act on beyond showing the replies: a work order filed
    (the photos sent before it went with it), a booking made. Channels read these from the turn's result
    instead of looking for numbers in the reply text, whose wording staff may change."""

    kind: Literal["work_order_filed", "booking_made"]
    number: str

    def as_dict(self) -> dict[str, str]:
        """The stored shape (a retried message id returns the first turn's events too)."""
        return {"kind": self.kind, "number": self.number}


@contextlib.contextmanager
def turn_session(session: AsyncSession, events: list[DomainEvent] | None = None) -> Any:
    """Make `session` the one actions join while a turn runs, and `events` where they report what they did."""
    token = _turn_session.set(session)
    events_token = _turn_events.set(events)
    try:
        yield session
    finally:
        _turn_events.reset(events_token)
        _turn_session.reset(token)


def report(event: DomainEvent) -> None:
    """Tell the running turn what the action did; served to a Rasa server there is no turn, and nobody to tell."""
    events = _turn_events.get()
    if events is not None:
        events.append(event)


@contextlib.asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """The turn's session when run by our engine; otherwise a new transaction committed at the end."""
    current = _turn_session.get()
    if current is not None:
        yield current
        return
    async with get_services().sessionmaker() as session, session.begin():
        yield session
