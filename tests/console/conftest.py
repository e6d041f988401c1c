"""A live server with the console, and the database it writes to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Settings
from tests.conftest import make_live


@dataclass
class ConsoleServer:
    url: str
    database_url: str
    app: Any


@pytest.fixture
def console(settings: Settings, nlu: Any, retriever: Any) -> Iterator[ConsoleServer]:
    """The real app on 127.0.0.1, on a fresh database."""
    server, _ = make_live(settings, nlu, retriever)
    yield ConsoleServer(server.url, settings.database_url, server.config.app)
    server.stop()


# DEV-ONLY-STUB (removed once bot.nlu.build_parser exists)
class _StubNlu:
    def parse(self, text: str, now: Any = None) -> Any:
        name = "request_human" if "人工" in text else "nlu_fallback"
        return {"text": text, "intent": {"name": name, "confidence": 0.9},
                "intent_ranking": [{"name": name, "confidence": 0.9}], "entities": []}


class _StubRetriever:
    version = "stub"

    def search(self, query: str, k: int = 5) -> Any:
        return []


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def nlu() -> Any:
    return _StubNlu()


@pytest.fixture(scope="session")
def retriever() -> Any:
    return _StubRetriever()
