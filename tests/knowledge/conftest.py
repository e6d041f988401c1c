"""Shared fixtures for tests/knowledge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings

# --- retrieval fixtures (test_encoder.py, test_retrieval.py) -------------------------------------------
# A dozen-service catalog, a few NLU examples and questions under retrieval_fixture/; the index is built
# once per session from them into a temporary directory.

RETRIEVAL_FIXTURE = Path(__file__).parent / "retrieval_fixture"


def retrieval_settings(model_dir: Path, catalog_dir: Path | None = None) -> Settings:
    """Settings that build the fixture catalog's index into `model_dir`, ignoring any .env file."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        catalog_dir=catalog_dir or RETRIEVAL_FIXTURE / "catalog",
        nlu_data=RETRIEVAL_FIXTURE,
        model_dir=model_dir,
        encoder="",
    )


@pytest.fixture(scope="session")
def retrieval_fixture_dir() -> Path:
    """Where the retrieval fixture catalog, NLU examples and questions live."""
    return RETRIEVAL_FIXTURE


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Any]:
    """Settings and build report of the fixture catalog's index, built once."""
    from knowledge.index_build import build_index

    settings = retrieval_settings(tmp_path_factory.mktemp("retrieval-models"))
    return settings, build_index(settings)


@pytest.fixture(scope="session")
def fixture_retriever(fixture_index: tuple[Settings, Any]) -> Any:
    """The retriever over the fixture index."""
    from knowledge.index_build import load_retriever

    return load_retriever(fixture_index[0])


# --- end of retrieval fixtures -------------------------------------------------------------------------
