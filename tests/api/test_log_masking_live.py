"""A real server logging the way `linli serve` sets it up: no phone or ID number, no token, in the whole log."""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.logging_setup import UVICORN_LOGGERS, setup_logging, uvicorn_options
from tests.conftest import FixedClock

MOBILE = "13812345678"
ID = "110101195001011234"
# A message the stand-in model below fails on, as a broken model might, quoting the message in its error.
BREAKS_THE_MODEL = "模型故障"


class _Log(io.StringIO):
    """A log stream written from the server's thread and read from the test's."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        with self._lock:
            return super().write(s)


class _FailingModel:
    """The real NLU, except that it fails on one kind of message with the message in its error."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def parse(self, text: str, now: dt.datetime | None = None) -> Any:
        if BREAKS_THE_MODEL in text:
            raise RuntimeError(f"model could not read {text!r}")
        return self.inner.parse(text, now=now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def server_log() -> Iterator[_Log]:
    """Our logging set up as `linli` does it, on a string; the loggers as they were afterwards."""
    names = ("", "aiosqlite", *UVICORN_LOGGERS)
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).propagate, logging.getLogger(n).level)
             for n in names}
    stream = _Log()
    setup_logging("DEBUG", stream=stream)
    yield stream
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


@pytest.fixture
def served(settings: Settings, nlu: Any, retriever: Any, clock: FixedClock,
           server_log: _Log) -> Iterator[httpx.Client]:
    """The app on uvicorn with the options `linli serve` passes, access log on."""
    import uvicorn

    from bot.api.app import create_app
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, nlu=_FailingModel(nlu), retriever=retriever, clock=clock)
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=0, lifespan="on",
                            **uvicorn_options("DEBUG", access_log=True))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def test_a_whole_conversation_leaves_no_number_and_no_token_in_the_log(served: httpx.Client,
                                                                       server_log: _Log) -> None:
    sender = secrets.token_urlsafe(24)
    said = [f"楼道灯坏了，我要报修，电话{MOBILE}", f"我的身份证号是{ID}", "3号楼2单元门口", MOBILE, "确认",
            f"电话 138 1234 5678，身份证{ID}，{BREAKS_THE_MODEL}"]
    answers = [served.post("/api/v1/messages", json={"sender": sender, "channel": "web", "text": text})
               for text in said]
    # The engine catches the model's failure (and logs it with its traceback); the resident gets an answer.
    assert [r.status_code for r in answers] == [200] * len(said)
    conv, token = answers[0].json()["conversation_id"], answers[0].json()["conversation_token"]
    shown = served.get(f"/api/v1/conversations/{conv}/messages", params={"token": token, "after": 0})
    assert shown.status_code == 200 and any(MOBILE in m["text"] for m in shown.json())
    assert served.get("/health", params={"q": f"号{MOBILE}", "id": ID}).status_code == 200
    # The Rasa-compatible parse endpoint does not catch it: the app's last-resort handler logs it.
    broken = served.post("/model/parse", json={"text": f"{BREAKS_THE_MODEL}，电话{MOBILE}，身份证{ID}"})
    assert broken.status_code == 500 and MOBILE not in broken.text

    log = server_log.getvalue()
    # The log did capture the server: uvicorn's own lines, access lines, errors with their tracebacks.
    assert '"POST /api/v1/messages HTTP/1.1" 200' in log and "/health?q=%E5%8F%B7138****5678" in log
    assert "NLU failed" in log and "unhandled error on POST /model/parse" in log
    assert "uvicorn.error: Started server process" in log and '"POST /model/parse HTTP/1.1" 500' in log
    assert log.count("Traceback (most recent call last)") >= 2 and "model could not read" in log
    assert "138****5678" in log and "110***********1234" in log and "token=***" in log
    for secret in (MOBILE, ID, "1234 5678", token, sender):
        assert secret not in log, secret
