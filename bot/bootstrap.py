"""Building the running system from Settings: database, catalog, NLU, retriever, actions, engine.

Everything heavy is built here, at start-up, and passed down; nothing is built at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from actions.runtime import ActionServices, SearchBackend, configure
from bot.backend.db import create_engine, create_sessionmaker
from bot.config import Settings
from bot.dialogue.domain import Domain
from bot.dialogue.engine import DialogueEngine
from bot.nlu.types import NluParser
from knowledge.loader import Catalog, load_catalog, load_communities

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The assembled system, shared by the HTTP app, Telegram and the CLI."""

    settings: Settings
    db: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    catalog: Catalog
    services: ActionServices
    dialogue: DialogueEngine

    async def close(self) -> None:
        """Release database connections."""
        await self.db.dispose()


def build_retriever(settings: Settings) -> SearchBackend:
    """The hot-reloading retriever over the built index."""
    from knowledge.index_build import ReloadingRetriever

    return ReloadingRetriever(settings)


def build_nlu(settings: Settings) -> NluParser:
    """The NLU backend named by the settings (embedded model or a Rasa server)."""
    from bot.nlu import build_parser

    return build_parser(settings)


def build_action_services(
    settings: Settings,
    *,
    retriever: SearchBackend | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    db: AsyncEngine | None = None,
    catalog: Catalog | None = None,
) -> ActionServices:
    """What actions need; also used by a standalone rasa_sdk action server.

    A catalog already loaded may be passed in: it takes about a second to load, and runs of many
    short conversations (the conversation tests) share one.
    """
    db = db or create_engine(settings.database_url)
    return ActionServices(
        settings=settings,
        sessionmaker=create_sessionmaker(db),
        catalog=catalog if catalog is not None else load_catalog(settings.catalog_dir),
        communities=load_communities(settings.communities_dir),
        retriever=retriever if retriever is not None else build_retriever(settings),
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
    )


def build_runtime(
    settings: Settings,
    *,
    nlu: NluParser | None = None,
    retriever: SearchBackend | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    catalog: Catalog | None = None,
) -> Runtime:
    """Assemble the whole system and install the action services."""
    from actions import action_registry
    from knowledge.speech import to_speech

    db = create_engine(settings.database_url)
    services = build_action_services(settings, retriever=retriever, clock=clock, db=db, catalog=catalog)
    configure(services)
    dialogue = DialogueEngine(
        settings=settings,
        sessionmaker=services.sessionmaker,
        nlu=nlu if nlu is not None else build_nlu(settings),
        domain=Domain.load(settings.nlu_data / "domain.yml"),
        actions=action_registry(),  # type: ignore[arg-type]
        communities=services.communities,
        clock=services.clock,
        speech=to_speech,
    )
    return Runtime(settings=settings, db=db, sessionmaker=services.sessionmaker, catalog=services.catalog,
                   services=services, dialogue=dialogue)
