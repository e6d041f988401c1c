"""Fixtures for the NLU tests: a small annotated data set, a tiny catalog, and one model trained on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu.engine import EmbeddedNlu
from bot.nlu.training import TrainReport, train_nlu

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def nlu_data_dir() -> Path:
    """The folder of small Rasa-format fixture files (with a domain.yml and config.yml to ignore)."""
    return DATA


@pytest.fixture(scope="session")
def catalog_dir() -> Path:
    """A five-service catalog."""
    return DATA / "catalog"


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, nlu_data_dir: Path, catalog_dir: Path) -> TrainReport:
    """One model trained on the fixture data, shared by the tests that only read it."""
    return train_nlu(nlu_data_dir, tmp_path_factory.mktemp("nlu") / "model", catalog_dir=catalog_dir, seed=7)


@pytest.fixture(scope="session")
def nlu(trained: TrainReport) -> EmbeddedNlu:
    """The fixture model, loaded."""
    return EmbeddedNlu.load(trained.out_dir, fallback_threshold=0.3, max_chars=2000)


@pytest.fixture
def now() -> dt.datetime:
    """A fixed message time: Wednesday 15 May 2024, 10:00."""
    return dt.datetime(2024, 5, 15, 10, 0)
