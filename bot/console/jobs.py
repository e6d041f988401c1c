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
import threading
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

    async def _run(self, job_id: int, kind: str, work: Callable[[], dict[str, Any]]) -> None:
        for _ in range(int(COMMIT_WAIT / COMMIT_POLL)):
            if await console_jobs.is_committed(self.sessionmaker, job_id):
                break
            await asyncio.sleep(COMMIT_POLL)
        else:
            log.warning("console job %s: the request that claimed it did not commit; not started", kind)
            return
        running = _in_daemon_thread(work, f"console-{kind}")
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
                                      error=f"{type(exc).__name__}: {exc}")


def _in_daemon_thread(work: Callable[[], dict[str, Any]], name: str) -> asyncio.Future[dict[str, Any]]:
    """`work` in a daemon thread of its own, as a future of this event loop.

    Not the loop's default executor: its threads are joined when the interpreter exits, so a worker
    stopping during a retraining would wait for the training to end. A daemon thread dies with the
    process, and the heartbeat that stops with it marks the job interrupted.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[dict[str, Any]] = loop.create_future()

    def settle(result: dict[str, Any] | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or {})

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the loop, which records the failure
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
