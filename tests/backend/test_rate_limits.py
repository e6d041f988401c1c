"""Rate limits shared by every server process: in PostgreSQL when no Redis is configured."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.backend.db import create_engine
from bot.backend.rate_limits import PostgresCounter, RateLimits
from tests.conftest import TEST_NOW, FixedClock, _base_settings, _truncate_postgres, db_rows, run


@pytest.fixture
def pg_url(postgres_database: str) -> Iterator[str]:
    yield postgres_database
    _truncate_postgres(postgres_database)


@pytest.mark.postgres
def test_two_processes_share_one_limit(pg_url: str) -> None:
    """Five a minute is five across both processes, not five each."""
    clock = FixedClock(TEST_NOW.replace(second=10, microsecond=0))

    async def go() -> list[int]:
        engines = [create_engine(pg_url), create_engine(pg_url)]
        settings = _base_settings(database_url=pg_url)
        workers = [RateLimits(settings, e, clock) for e in engines]
        try:
            return [await workers[i % 2].retry_after("sender", "web-abc", 5) for i in range(7)]
        finally:
            for e in engines:
                await e.dispose()

    waits = run(go())
    assert waits[:5] == [0] * 5
    assert waits[5:] == [50, 50], "refused until the minute has passed"


@pytest.mark.postgres
def test_the_window_slides_over_the_minute_before(pg_url: str) -> None:
    start = TEST_NOW.replace(second=10, microsecond=0)
    now = [start]

    async def go() -> tuple[list[int], list[int], list[int]]:
        engine = create_engine(pg_url)
        counter = PostgresCounter(engine, now=lambda: now[0].timestamp())
        try:
            first = [await counter.wait("sender", "k", 4) for _ in range(5)]  # 4 let through, 1 refused
            # Half-way through the next minute, half of the last minute's five still count: 2.5 + 1 ≤ 4.
            now[0] = start + dt.timedelta(seconds=80)
            half = [await counter.wait("sender", "k", 4) for _ in range(2)]
            # Two minutes on, the old minutes are out of the window.
            now[0] = start + dt.timedelta(seconds=170)
            later = [await counter.wait("sender", "k", 4) for _ in range(4)]
            return first, half, later
        finally:
            await engine.dispose()

    first, half, later = run(go())
    assert first == [0, 0, 0, 0, 50]
    assert half == [0, 30]
    assert later == [0, 0, 0, 0]


@pytest.mark.postgres
def test_counts_are_kept_outside_the_write_ahead_log(pg_url: str) -> None:
    """Every resident message is counted: an unlogged table spares each one a flush to disk, and a crash
    only forgets the last minute's counts."""
    assert db_rows(pg_url, "SELECT relpersistence FROM pg_class WHERE relname = 'rate_counts'") == [("u",)]

    async def go() -> int:
        engine = create_engine(pg_url)
        try:
            return await RateLimits(_base_settings(database_url=pg_url), engine).retry_after("sender", "web-x", 5)
        finally:
            await engine.dispose()

    assert run(go()) == 0
    assert db_rows(pg_url, "SELECT hits FROM rate_counts") == [(1,)]


def test_sqlite_keeps_counts_in_the_process(database_url: str) -> None:
    """One process is the supported mode on SQLite: the counter needs no table there."""
    async def go() -> list[int]:
        engine = create_engine(database_url)
        limits = RateLimits(_base_settings(database_url=database_url), engine)
        try:
            return [await limits.retry_after("sender", "k", 2) for _ in range(3)]
        finally:
            await engine.dispose()

    waits = run(go())
    assert waits[:2] == [0, 0] and waits[2] > 0
