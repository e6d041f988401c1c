"""Console jobs are rows every process sees: one running job of a kind, and a dead process's job ends."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.backend import console_jobs
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.statuses import JobStatus
from tests.conftest import TEST_NOW, run


async def _claim(url: str, kind: str, now: dt.datetime) -> int | None:
    """A claim from a process of its own (its own engine), committed."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await console_jobs.claim(session, kind, "boss", now)
    finally:
        await engine.dispose()


def test_one_running_job_of_a_kind_and_the_next_after_it_ends(any_database_url: str) -> None:
    async def go() -> None:
        first = await _claim(any_database_url, "retrain", TEST_NOW)
        assert first is not None
        assert await _claim(any_database_url, "retrain", TEST_NOW) is None
        assert await _claim(any_database_url, "reindex", TEST_NOW) is not None  # another kind runs beside it
        engine = create_engine(any_database_url)
        sessionmaker = create_sessionmaker(engine)
        await console_jobs.finish(sessionmaker, first, TEST_NOW, result={"after": 0.97})
        async with sessionmaker() as session:
            job = await console_jobs.latest(session, "retrain", TEST_NOW)
        await engine.dispose()
        assert job is not None and job.status == JobStatus.DONE and job.result == {"after": 0.97}
        assert await _claim(any_database_url, "retrain", TEST_NOW) is not None

    run(go())


def test_two_processes_pressing_at_once_start_one_job(any_database_url: str) -> None:
    async def go() -> list[int | None]:
        return list(await asyncio.gather(*(_claim(any_database_url, "retrain", TEST_NOW) for _ in range(4))))

    claimed = run(go())
    assert sum(c is not None for c in claimed) == 1, claimed


def test_a_job_whose_process_stopped_beating_shows_interrupted_and_can_start_again(any_database_url: str) -> None:
    async def go() -> None:
        first = await _claim(any_database_url, "retrain", TEST_NOW)
        engine = create_engine(any_database_url)
        sessionmaker = create_sessionmaker(engine)
        assert first is not None
        # Still beating a minute on: running, and nobody else may start.
        await console_jobs.beat(sessionmaker, first, TEST_NOW + dt.timedelta(seconds=50))
        later = TEST_NOW + dt.timedelta(seconds=100)
        async with sessionmaker() as session:
            job = await console_jobs.latest(session, "retrain", later)
        assert job is not None and job.status == JobStatus.RUNNING
        assert await _claim(any_database_url, "retrain", later) is None
        # Then the process dies: no beat for over a minute.
        dead = TEST_NOW + dt.timedelta(seconds=50) + console_jobs.STALE_AFTER + dt.timedelta(seconds=1)
        async with sessionmaker() as session:
            job = await console_jobs.latest(session, "retrain", dead)
        assert job is not None and job.status == JobStatus.FAILED and job.error == console_jobs.INTERRUPTED
        second = await _claim(any_database_url, "retrain", dead)
        assert second is not None and second != first
        async with sessionmaker() as session:
            job = await console_jobs.latest(session, "retrain", dead)
        assert job is not None and job.id == second and job.status == JobStatus.RUNNING
        await engine.dispose()

    run(go())
