"""Which trained NLU model serves: chosen by staff in the console, followed by every server process.

`linli train` writes the default model to MODEL_DIR/nlu; a retrain from the console writes candidates under
MODEL_DIR/candidates, each with a `report.json` of its accuracy before and after. Putting a candidate into
use writes MODEL_DIR/nlu_active.json (a temporary file and `os.replace`, so no reader sees half of it),
naming the model and the one it replaces; going back swaps the two. Every process checks the file at most
every few seconds and loads a new model in a background thread, answering with the old one until the new
one is ready, the way the retrieval index is reloaded. Models and the pointer live in MODEL_DIR, which
every process of a deployment shares.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import InvalidInput, LinliError
from bot.nlu.types import NluParser, ParseResult

log = logging.getLogger(__name__)

POINTER = "nlu_active.json"
CANDIDATES = "candidates"
REPORT = "report.json"
DEFAULT = "nlu"


@dataclass(frozen=True)
class ActiveModel:
    """The model in use, the one it replaced (to go back to), who chose it and when."""

    path: Path
    previous: Path | None
    by: str
    at: str


@dataclass(frozen=True)
class Candidate:
    """A retrained model waiting to be put into use, with what its retraining measured."""

    path: Path
    report: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name


def read_active(model_dir: Path) -> ActiveModel | None:
    """The model staff put into use, or None while the default one (MODEL_DIR/nlu) serves."""
    try:
        raw = json.loads((model_dir / POINTER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ActiveModel(model_dir / raw["path"], model_dir / raw["previous"] if raw.get("previous") else None,
                       str(raw.get("by", "")), str(raw.get("at", "")))


def active_path(model_dir: Path) -> Path:
    """The directory of the model that serves."""
    active = read_active(model_dir)
    return active.path if active is not None else model_dir / DEFAULT


def candidates(model_dir: Path) -> list[Candidate]:
    """Retrained models with a report, newest first."""
    root = model_dir / CANDIDATES
    found = []
    for path in sorted(root.iterdir() if root.is_dir() else [], reverse=True):
        try:
            found.append(Candidate(path, json.loads((path / REPORT).read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # a retraining still under way, or one that failed
    return found


def write_report(candidate: Path, report: dict[str, Any]) -> None:
    """Keep what a retraining measured beside the model, for whichever process shows the page."""
    (candidate / REPORT).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_pointer(model_dir: Path, path: Path, previous: Path | None, by: str, at: dt.datetime) -> ActiveModel:
    stamp = at.isoformat(timespec="seconds")
    payload = {"path": os.path.relpath(path, model_dir),
               "previous": os.path.relpath(previous, model_dir) if previous is not None else None,
               "by": by, "at": stamp}
    fd, tmp = tempfile.mkstemp(prefix=".nlu_active-", dir=model_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False)
    os.replace(tmp, model_dir / POINTER)
    return ActiveModel(path, previous, by, stamp)


def activate(model_dir: Path, name: str, *, by: str, at: dt.datetime,
             check: Callable[[Path], object]) -> ActiveModel:
    """Put the candidate `name` into use; `check` loads it first, so a broken model is never chosen."""
    path = model_dir / CANDIDATES / name
    if not name or "/" in name or "\\" in name or name.startswith(".") or not (path / REPORT).is_file():
        raise InvalidInput(f"没有名为 {name} 的候选模型")
    current = active_path(model_dir)
    if path.resolve() == current.resolve():
        raise InvalidInput("这个模型已经在使用中")
    try:
        check(path)
    except (LinliError, OSError, ValueError) as exc:
        raise InvalidInput(f"模型 {name} 无法加载：{exc}") from exc
    return _write_pointer(model_dir, path, current, by, at)


def roll_back(model_dir: Path, *, by: str, at: dt.datetime) -> ActiveModel:
    """Go back to the model in use before the last change (and forward again, if asked twice)."""
    active = read_active(model_dir)
    if active is None or active.previous is None:
        raise InvalidInput("没有可以退回的上一个模型")
    return _write_pointer(model_dir, active.previous, active.path, by, at)


class ReloadingNlu:
    """The serving parser: the model the pointer names, swapped in when staff choose another one."""

    def __init__(self, model_dir: Path, load: Callable[[Path], NluParser], check_seconds: float = 5.0) -> None:
        self.model_dir = model_dir
        self._load = load
        self.check_seconds = check_seconds
        self._path = active_path(model_dir)
        self._current = load(self._path)
        self._checked = time.monotonic()
        self._checker: threading.Thread | None = None

    @property
    def current(self) -> NluParser:
        """The parser that answers now."""
        return self._current

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Parse with the model in use; at most every `check_seconds`, look for a change in the background."""
        if time.monotonic() - self._checked >= self.check_seconds and not self._checking():
            self._checked = time.monotonic()
            self._checker = threading.Thread(target=self.reload, name="nlu-reload", daemon=True)
            self._checker.start()
        return self._current.parse(text, now=now)

    def reload(self) -> bool:
        """Load the model the pointer names if it is not the one serving; True when it changed.

        A model that fails to load is logged and the old one keeps serving.
        """
        path = active_path(self.model_dir)
        if path == self._path:
            return False
        try:
            parser = self._load(path)
        except (LinliError, OSError, ValueError):
            log.exception("NLU model %s could not be loaded; the previous one keeps serving", path)
            return False
        self._current, self._path = parser, path  # one assignment each: a turn sees the old or the new
        log.info("NLU model now serving: %s", path)
        return True

    def _checking(self) -> bool:
        return self._checker is not None and self._checker.is_alive()

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for a background check in progress (tests)."""
        if self._checker is not None:
            self._checker.join(timeout)
