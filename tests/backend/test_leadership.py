"""Work led by one process at a time on PostgreSQL, taken over when the leader's session dies."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.backend.db import create_engine
from bot.backend.leadership import lead, lock_key
from tests.conftest import run


@pytest.mark.postgres
def test_one_leader_at_a_time_and_a_dead_leader_is_replaced(postgres_database: str) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        engines = [create_engine(postgres_database) for _ in range(2)]
        running: list[str] = []
        started: list[str] = []

        def work(name: str):  # type: ignore[no-untyped-def]
            async def led(finish: asyncio.Event) -> None:
                started.append(name)
                running.append(name)
                try:
                    await finish.wait()
                finally:
                    running.remove(name)
            return led

        stop = asyncio.Event()
        tasks = [asyncio.create_task(lead(e, "test-work", work(f"p{i}"), stop, retry_seconds=0.2))
                 for i, e in enumerate(engines)]
        await asyncio.sleep(1.0)
        at_once = list(running)
        # The leader's session is ended by the server, as when its process is killed.
        admin = create_engine(postgres_database)
        async with admin.connect() as conn:
            await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid = (:k & 4294967295) AND granted"), {"k": lock_key("test-work")})
            await conn.commit()
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.gather(*tasks)
        for e in [*engines, admin]:
            await e.dispose()
        return at_once, started

    at_once, started = run(scenario())
    assert len(at_once) == 1, "exactly one process leads"
    assert len(started) >= 2, "after the leader's session died, the work was led again"


def test_on_sqlite_the_work_simply_runs(database_url: str) -> None:
    async def scenario() -> bool:
        engine = create_engine(database_url)
        ran = asyncio.Event()

        async def led(finish: asyncio.Event) -> None:
            ran.set()

        await lead(engine, "x", led, asyncio.Event())
        await engine.dispose()
        return ran.is_set()

    assert run(scenario())
