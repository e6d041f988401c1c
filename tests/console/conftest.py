"""A live server with the console, and the database it writes to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Settings
from tests.conftest import FixedClock, make_live


@dataclass
class ConsoleServer:
    url: str
    database_url: str
    app: Any


@pytest.fixture
def console(settings: Settings, nlu: Any, retriever: Any, clock: FixedClock) -> Iterator[ConsoleServer]:
    """The real app on 127.0.0.1, on a fresh database and the test's clock."""
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    yield ConsoleServer(server.url, settings.database_url, server.config.app)
    server.stop()

