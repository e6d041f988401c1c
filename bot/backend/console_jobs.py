"""Long console tasks as rows every server process sees: claimed once, kept alive by a heartbeat.

With several workers, the retrain button pressed on one process and the page reloaded on another must
show the same job, and two admins (or two processes) must not train into the same directory at once.
A process starts a job only by inserting its running row, which a unique index over running rows allows
once per kind; while the work runs the process writes a heartbeat, so that a job whose process died
(restart, SIGKILL) shows as interrupted and a new one can start, instead of running for ever.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.backend.models import ConsoleJob
from bot.backend.statuses import JobStatus

HEARTBEAT = dt.timedelta(seconds=15)
# Four missed heartbeats: a busy process still beats in time, a dead one is noticed within a minute.
STALE_AFTER = dt.timedelta(seconds=60)
INTERRUPTED = "任务所在的服务进程已停止，任务没有完成。可以重新开始。"


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it; a running job whose heartbeat stopped is shown as failed."""

    id: int
    kind: str
    status: str
    started_by: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


async def latest(session: AsyncSession, kind: str, now: dt.datetime) -> JobView | None:
    """The latest job of a kind, running or finished; None before the first."""
    job = (await session.execute(
        select(ConsoleJob).where(ConsoleJob.kind == kind).order_by(ConsoleJob.id.desc()).limit(1))).scalar()
    if job is None:
        return None
    if job.silent_since(now - STALE_AFTER):
        return JobView(job.id, job.kind, JobStatus.FAILED, job.started_by, job.started_at, job.heartbeat_at,
                       {}, INTERRUPTED)
    return JobView(job.id, job.kind, job.status, job.started_by, job.started_at, job.finished_at,
                   dict(job.result or {}), job.error)


async def claim(session: AsyncSession, kind: str, started_by: str, now: dt.datetime) -> int | None:
    """Start a job of this kind in the caller's transaction: its id, or None while another (alive) runs.

    The row counts once the caller commits; the work waits for that (`is_committed`), so a request
    that fails after claiming starts nothing.
    """
    await session.execute(
        update(ConsoleJob)
        .where(ConsoleJob.kind == kind, ConsoleJob.silent_since(now - STALE_AFTER))
        .values(status=JobStatus.FAILED, error=INTERRUPTED, finished_at=now))
    job = ConsoleJob(kind=kind, status=JobStatus.RUNNING, started_by=started_by[:64], started_at=now,
                     heartbeat_at=now, result={}, error="")
    try:
        async with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None  # the unique index over running jobs: one is running
    return job.id


async def is_committed(sessionmaker: async_sessionmaker[AsyncSession], job_id: int) -> bool:
    """Whether a claimed job's row is there for every process to see."""
    async with sessionmaker() as session:
        return await session.get(ConsoleJob, job_id) is not None


async def beat(sessionmaker: async_sessionmaker[AsyncSession], job_id: int, now: dt.datetime) -> None:
    """The job's process is still working on it."""
    async with sessionmaker() as session, session.begin():
        await session.execute(update(ConsoleJob).where(ConsoleJob.id == job_id,
                                                       ConsoleJob.status == JobStatus.RUNNING)
                              .values(heartbeat_at=now))


async def finish(sessionmaker: async_sessionmaker[AsyncSession], job_id: int, now: dt.datetime, *,
                 result: dict[str, Any] | None = None, error: str = "") -> None:
    """Record the outcome: done with its result, or failed with the error shown on the page."""
    async with sessionmaker() as session, session.begin():
        await session.execute(update(ConsoleJob).where(ConsoleJob.id == job_id).values(
            status=JobStatus.FAILED if error else JobStatus.DONE, result=result or {}, error=error[:500],
            finished_at=now, heartbeat_at=now))
