"""Shared fixtures: settings on a fresh database per test, models built once, a live HTTP server.

Each test gets its own SQLite file (or, for the PostgreSQL variant, a database emptied after the test).
The NLU model and retrieval index are built once per session from the repository's own data, into
MODEL_DIR if `make setup` already built them there, else into a temporary directory.

Every runtime a test builds runs on `clock`, a fixed clock (Wednesday 2026-12-09 10:00 in Shanghai unless
LINLI_TEST_NOW says otherwise), so results never depend on the weekday, the hour or holidays.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from bot.backend.migrate import upgrade
from bot.config import PROJECT_ROOT, Settings
from bot.conversation_tests import runner as conversation_clock

POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL", "")
TZ = ZoneInfo("Asia/Shanghai")
# A Wednesday morning: 明天 and 后天 are weekdays, no public holiday is near.
DEFAULT_NOW = "2026-12-09T10:00:00+08:00"


def _suite_now() -> dt.datetime:
    """The suite's "now" in UTC: LINLI_TEST_NOW (e.g. 2026-12-12 or 2026-10-01T09:30, Shanghai time unless an
    offset is given) runs the whole suite on another day, to prove no test depends on the day."""
    raw = os.environ.get("LINLI_TEST_NOW", "").strip() or DEFAULT_NOW
    if len(raw) == 10:  # a bare date: that day at the default local time
        raw += "T10:00"
    moment = dt.datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(dt.UTC)


TEST_NOW = _suite_now()


class FixedClock(conversation_clock.FixedClock):
    """The clock every runtime in the tests runs on, at the suite's "now" unless told otherwise."""

    def __init__(self, now: dt.datetime = TEST_NOW) -> None:
        super().__init__(now)


def next_week(today: dt.date, weekday: int) -> dt.date:
    """The day a resident means by 下周X (Monday = 0): that weekday of the next calendar week.

    下周三 is always a working day in the future (3 to 9 days ahead), open for every weekday service
    whatever today is, which 明天 and 后天 are not (a Friday's 后天 is a Sunday)."""
    return today + dt.timedelta(days=7 - today.weekday() + weekday)


@pytest.fixture
def clock() -> FixedClock:
    """A fresh fixed clock at the suite's "now" for one test."""
    return FixedClock()


# A strong key for the test environment, which, like production, refuses to run without one.
TEST_SECRET_KEY = "tEst-" + uuid.uuid4().hex + "-KEY-xyzw"


def _base_settings(**kw: Any) -> Settings:
    kw.setdefault("secret_key", TEST_SECRET_KEY)
    kw.setdefault("redis_url", None)  # a REDIS_URL in the environment must not make tests share counters
    return Settings(_env_file=None, environment="test", **kw)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a trained NLU model and a built index."""
    default = PROJECT_ROOT / "models"
    if (default / ".built").exists() and (default / "nlu").exists() and (default / "index").exists():
        return default
    out = tmp_path_factory.mktemp("models")
    settings = _base_settings(model_dir=out)
    from bot.cli.nlu import train_command_impl
    from knowledge.index_build import build_index

    train_command_impl(settings, settings.nlu_data, settings.nlu_model_dir)
    build_index(settings)
    return out


@pytest.fixture(scope="session")
def nlu(model_dir: Path) -> Any:
    """The embedded NLU, loaded once."""
    from bot.nlu import build_parser

    return build_parser(_base_settings(model_dir=model_dir))


@pytest.fixture(scope="session")
def retriever(model_dir: Path) -> Any:
    """The retriever over the built index, loaded once."""
    from knowledge.index_build import ReloadingRetriever

    return ReloadingRetriever(_base_settings(model_dir=model_dir))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file copied for each test (migrating once is faster than per test)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once and dropped at the end."""
    if not POSTGRES_URL:
        pytest.fail("LINLI_TEST_POSTGRES_URL is not set; .ci/run sets it (PostgreSQL at 127.0.0.1:5432)")
    name = f"linli_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    from bot.backend.db import sync_url
    from bot.backend.models import Base

    engine = sa.create_engine(sync_url(url))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated database for one test (SQLite; see `any_database_url` for both)."""
    path = tmp_path / "linli.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh database for one test, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "linli.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    _truncate_postgres(url)


@pytest.fixture
def settings(database_url: str, model_dir: Path) -> Settings:
    """Settings for one test on its own database."""
    return _base_settings(database_url=database_url, model_dir=model_dir)


class LiveServer:
    """The real app served by uvicorn on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from bot.logging_setup import uvicorn_options

        # Logged as `linli serve` logs (through the masking handler); no proxy headers at the server: the app
        # itself trusts only the proxies its settings name.
        self.config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", proxy_headers=False,
                                     **uvicorn_options("WARNING"))
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                break
            threading.Event().wait(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_live(settings: Settings, nlu: Any, retriever: Any, *, clock: FixedClock) -> tuple[LiveServer, Any]:
    """Build a runtime on the test's clock and serve it; returns the server and the runtime."""
    from bot.api.app import create_app
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
    server = LiveServer(create_app(runtime))
    server.start()
    return server, runtime


# The bridge channels the tests speak through, each with a key of its own (see bot.backend.bridges).
BRIDGE_CHANNELS = ("voice", "sms", "partner-app")


def add_bridge(database_url: str, name: str, channel: str, community: str | None = None) -> str:
    """Add a keyed bridge straight in the test database; returns its key."""
    from bot.backend.bridges import add_bridge as add
    from bot.backend.db import create_engine, create_sessionmaker

    async def go() -> str:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return (await add(session, name, channel, community, TEST_NOW))[1]
        finally:
            await engine.dispose()

    return asyncio.run(go())  # type: ignore[no-any-return]


def _bridged_client(url: str, database_url: str) -> httpx.Client:
    """A client to a live server, carrying a bridge key for each bridge channel (tests.resident uses them)."""
    client = httpx.Client(base_url=url, timeout=30)
    client.database_url = database_url  # type: ignore[attr-defined]
    client.bridge_keys = {ch: add_bridge(database_url, f"test-{ch}", ch) for ch in BRIDGE_CHANNELS}  # type: ignore[attr-defined]
    return client


@pytest.fixture
def live(settings: Settings, nlu: Any, retriever: Any, clock: FixedClock) -> Iterator[httpx.Client]:
    """An HTTP client talking to a live server on a fresh SQLite database."""
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    with _bridged_client(server.url, settings.database_url) as client:
        yield client
    server.stop()


@pytest.fixture
def live_any(any_database_url: str, model_dir: Path, nlu: Any, retriever: Any,
             clock: FixedClock) -> Iterator[httpx.Client]:
    """An HTTP client talking to a live server, on SQLite and on PostgreSQL."""
    settings = _base_settings(database_url=any_database_url, model_dir=model_dir)
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    with _bridged_client(server.url, any_database_url) as client:
        yield client
    server.stop()


def db_rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    """Rows from the test database, read with a plain synchronous connection."""
    from bot.backend.db import sync_url

    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def run(coro: Any) -> Any:
    """Run a coroutine from a synchronous test."""
    return asyncio.run(coro)
