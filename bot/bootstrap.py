"""Building the running system from Settings: database, catalog, NLU, retriever, actions, engine.

Everything heavy is built here, at start-up, and passed down; nothing is built at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from actions.runtime import ActionServices, SearchBackend, build_action_services
from bot.backend.db import create_engine
from bot.config import Settings
from bot.dialogue.domain import Domain
from bot.dialogue.engine import DialogueEngine
from bot.nlu.types import NluParser
from knowledge.loader import Catalog

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


def build_runtime(
    settings: Settings,
    *,
    nlu: NluParser | None = None,
    retriever: SearchBackend | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    catalog: Catalog | None = None,
) -> Runtime:
    """Assemble the whole system; the engine hands its action services to each turn it runs."""
    from actions import action_registry
    from knowledge.speech import to_speech

    db = create_engine(settings.database_url)
    services = build_action_services(settings, retriever=retriever, clock=clock, db=db, catalog=catalog)
    dialogue = DialogueEngine(
        settings=settings,
        sessionmaker=services.sessionmaker,
        services=services,
        nlu=nlu if nlu is not None else build_nlu(settings),
        domain=Domain.load(settings.nlu_data / "domain.yml"),
        actions=action_registry(),  # type: ignore[arg-type]
        communities=services.communities,
        clock=services.clock,
        speech=to_speech,
    )
    return Runtime(settings=settings, db=db, sessionmaker=services.sessionmaker, catalog=services.catalog,
                   services=services, dialogue=dialogue)
