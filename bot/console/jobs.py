"""Long console tasks (retraining the NLU, rebuilding the search index) run in a background thread.

One job per kind at a time; the board keeps the latest job of each kind so the page can show its status
(运行中/完成/失败) and result. State lives in this process's memory: after a restart the page simply
shows no job, and whatever the job wrote to disk stays there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.backend.models import utcnow

log = logging.getLogger("linli.console")
RUNNING, DONE, FAILED = "运行中", "完成", "失败"


@dataclass
class Job:
    """One background task and what became of it."""

    kind: str
    started_by: str
    status: str = RUNNING
    started_at: Any = field(default_factory=utcnow)
    finished_at: Any = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class JobBoard:
    """The latest job of each kind, started in daemon threads."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, kind: str) -> Job | None:
        """The latest job of a kind, running or finished."""
        return self._jobs.get(kind)

    def start(self, kind: str, started_by: str, work: Callable[[], dict[str, Any]]) -> Job | None:
        """Run `work` in the background; None when a job of this kind is still running."""
        with self._lock:
            current = self._jobs.get(kind)
            if current is not None and current.status == RUNNING:
                return None
            job = self._jobs[kind] = Job(kind, started_by)

        def run() -> None:
            try:
                job.result = work()
                job.status = DONE
            except Exception as exc:  # the page shows the failure; the log keeps the trace
                log.exception("console job %s failed", kind)
                job.error = f"{type(exc).__name__}: {exc}"[:500]
                job.status = FAILED
            finally:
                job.finished_at = utcnow()

        threading.Thread(target=run, name=f"console-{kind}", daemon=True).start()
        return job
