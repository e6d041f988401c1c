"""Long console tasks (retraining the NLU, rebuilding the search index) run in a background thread.

The job itself is a row in the database (`bot.backend.console_jobs`): any server process's page shows it,
only one of a kind runs at a time across all processes, and a job whose process died shows as
interrupted. The request that presses the button claims the row in its own transaction (a second session
would wait for the request's write lock on SQLite); the work starts in a thread of that process once the
row is committed, and the process's event loop writes the heartbeat while it runs and the outcome after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.backend import console_jobs
from bot.backend.console_jobs import JobView

log = logging.getLogger("linli.console")
# How long the work waits for the claiming request to commit (it takes milliseconds), and how often it looks.
COMMIT_WAIT, COMMIT_POLL = 30.0, 0.05


class JobBoard:
    """Starts console jobs and reads the latest job of each kind."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Callable[[], dt.datetime],
                 heartbeat: dt.timedelta = console_jobs.HEARTBEAT) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.heartbeat = heartbeat
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, session: AsyncSession, kind: str) -> JobView | None:
        """The latest job of a kind, running or finished, whichever process started it."""
        return await console_jobs.latest(session, kind, self.clock())

    async def start(self, session: AsyncSession, kind: str, started_by: str,
                    work: Callable[[], dict[str, Any]]) -> int | None:
        """Run `work` in a background thread once `session` commits; its job id, or None while a job of
        this kind is running in any process."""
        job_id = await console_jobs.claim(session, kind, started_by, self.clock())
        if job_id is None:
            return None
        task = asyncio.create_task(self._run(job_id, kind, work), name=f"console-{kind}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job_id

    async def wait(self) -> None:
        """Until the jobs this process started have ended (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, job_id: int, kind: str, work: Callable[[], dict[str, Any]]) -> None:
        for _ in range(int(COMMIT_WAIT / COMMIT_POLL)):
            if await console_jobs.is_committed(self.sessionmaker, job_id):
                break
            await asyncio.sleep(COMMIT_POLL)
        else:
            log.warning("console job %s: the request that claimed it did not commit; not started", kind)
            return
        running = asyncio.ensure_future(asyncio.to_thread(work))
        while not (await asyncio.wait({running}, timeout=self.heartbeat.total_seconds()))[0]:
            try:
                await console_jobs.beat(self.sessionmaker, job_id, self.clock())
            except Exception:  # a missed beat only risks the job showing as interrupted
                log.exception("console job %s: heartbeat not written", kind)
        try:
            # Plain JSON: reports carry paths and dates, and the row is read by other processes.
            result = json.loads(json.dumps(running.result(), default=str))
            await console_jobs.finish(self.sessionmaker, job_id, self.clock(), result=result)
        except Exception as exc:  # the page shows the failure; the log keeps the trace
            log.exception("console job %s failed", kind)
            await console_jobs.finish(self.sessionmaker, job_id, self.clock(),
                                      error=f"{type(exc).__name__}: {exc}" or "失败")
