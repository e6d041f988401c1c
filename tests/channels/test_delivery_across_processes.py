"""Two server processes on one PostgreSQL database push every message once, even when one is killed.

The fake Bot API runs in the test on 127.0.0.1; the two `linli serve` processes drain one outbox. One is
killed with SIGKILL mid-run; the other takes over its claimed rows once their lease runs out.

Every process runs on the suite's clock (TEST_NOW, then moving on): the servers through
`fixed_clock_site/sitecustomize.py`, this process by travelling there while it writes the rows.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Booking, Slot
from bot.backend.outbox import notify
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from bot.config import PROJECT_ROOT
from tests.channels.conftest import WEBHOOK_SECRET
from tests.channels.fake_bot_api import TOKEN, FakeBotApi
from tests.conftest import TEST_NOW, TEST_SECRET_KEY, _truncate_postgres, db_rows

LINLI = str(Path(sys.executable).parent / "linli")
RESIDENTS, EACH = 30, 100  # 3,000 pushes
LEASE_SECONDS = 8
CLOCK_SITE = Path(__file__).parent / "fixed_clock_site"

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(database_url: str, model_dir: Path, fake: FakeBotApi, log: Path,
           **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "MODEL_DIR": str(model_dir), "ENVIRONMENT": "test",
           "SECRET_KEY": TEST_SECRET_KEY, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": f"{fake.url}/bot",
           "TELEGRAM_API_FILE_URL": f"{fake.url}/file/bot", "TELEGRAM_WEBHOOK_URL": "https://linli.example/telegram/webhook",
           "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
           "LOG_LEVEL": "WARNING", "LINLI_TEST_CLOCK_START": TEST_NOW.isoformat(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(CLOCK_SITE), os.environ.get("PYTHONPATH")])), **extra}
    proc = subprocess.Popen([LINLI, "serve", "--port", str(port), "--no-access-log"], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)
    raise AssertionError("server did not start")


def _stop_all(procs: list[tuple[subprocess.Popen[bytes], str]], fake_server: Any, database_url: str) -> None:
    """Stop the servers still running and the fake Bot API, and empty the shared database."""
    for proc, _ in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
    fake_server.stop()
    _truncate_postgres(database_url)


def _on_suite_clock() -> time_machine.travel:
    """This process on the suite's clock while it writes rows, as the servers are.

    Each process starts at TEST_NOW when it starts, so the clocks differ by the seconds between their
    starts: a push queued here is due at once for servers started earlier, and the bookings are hours
    from any moment that matters."""
    return time_machine.travel(TEST_NOW, tick=True)


async def _queue(database_url: str) -> None:
    engine = create_engine(database_url)
    async with create_sessionmaker(engine)() as session, session.begin():
        community = await ensure_community(session, "default", "默认社区")
        for r in range(RESIDENTS):
            identity = await ensure_identity(session, "telegram", str(5000 + r), community, str(5000 + r))
            conv, _ = await ensure_conversation(session, identity, community)
            for i in range(EACH):
                await notify(session, conv, f"通知 {r}-{i}", kind="staff_reply", sender="staff")
    await engine.dispose()


def _delivered(fake: FakeBotApi) -> collections.Counter[str]:
    return collections.Counter(
        c.params["text"] for c in fake.calls if c.method == "sendMessage" and not c.failed
        and str(c.params.get("text", "")).startswith("通知 "))


def test_two_processes_push_every_message_once_through_a_sigkill(
        postgres_database: str, model_dir: Path, tmp_path: Path) -> None:
    fake = FakeBotApi()
    fake_server = fake.start()
    procs = []
    try:
        procs = [_serve(postgres_database, model_dir, fake, tmp_path / f"server{i}.log") for i in range(2)]
        with _on_suite_clock():
            asyncio.run(_queue(postgres_database))
        total = RESIDENTS * EACH
        deadline = time.monotonic() + 60
        while sum(_delivered(fake).values()) < total // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = procs[0][0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        deadline = time.monotonic() + 120
        while len(_delivered(fake)) < total and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # anything sent twice would have arrived by now
        delivered = _delivered(fake)
        lost = total - len(delivered)
        twice = {text: n for text, n in delivered.items() if n > 1}
        assert lost == 0, f"{lost} pushes never arrived"
        # The one message the killed process had in flight may arrive twice (Telegram has no idempotency
        # key); nothing else may.
        assert len(twice) <= 1 and all(n == 2 for n in twice.values()), twice
        assert db_rows(postgres_database, "SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", total)]
    finally:
        _stop_all(procs, fake_server, postgres_database)


async def _due_bookings(database_url: str, count: int) -> None:
    """`count` bookings that ended an hour ago, each waiting for its rating request, and `count` that start
    within the hour, booked days ago, each waiting for its reminder (by the suite's clock, which the servers
    run on)."""
    engine = create_engine(database_url)
    now = TEST_NOW
    async with create_sessionmaker(engine)() as session, session.begin():
        community = await ensure_community(session, "default", "默认社区")
        # The first `count` residents are asked to rate, the next `count` are reminded.
        for first, start in ((0, now - dt.timedelta(hours=2)), (count, now + dt.timedelta(hours=1))):
            slot = Slot(community_id=community.id, service_id="bathing-assistance", day=start.date(),
                        start_at=start, end_at=start + dt.timedelta(hours=1), capacity=count, booked=count)
            session.add(slot)
            await session.flush()
            for i in range(count):
                n = first + i
                identity = await ensure_identity(session, "telegram", str(9000 + n), community, str(9000 + n))
                conv, _ = await ensure_conversation(session, identity, community)
                session.add(Booking(number=f"YY20260101{n:03d}", community_id=community.id,
                                    resident_id=conv.resident_id, conversation_id=conv.id,
                                    service_id="bathing-assistance", slot_id=slot.id, people=1, name="王秀兰",
                                    phone="13812345678", created_at=start - dt.timedelta(days=3)))
    await engine.dispose()


def test_rating_requests_and_reminders_are_queued_and_pushed_once_by_two_processes_through_a_sigkill(
        postgres_database: str, model_dir: Path, tmp_path: Path) -> None:
    count = 200  # of each
    fake = FakeBotApi()
    fake_server = fake.start()
    procs = []
    try:
        with _on_suite_clock():
            asyncio.run(_due_bookings(postgres_database, count))
        # Each server names its database sessions, so the one holding the lock can be told apart.
        procs = [_serve(f"{postgres_database}?application_name=server{i}", model_dir, fake,
                        tmp_path / f"server{i}.log", REMINDER_INTERVAL_SECONDS="0.2") for i in range(2)]

        def pushed() -> collections.Counter[str]:
            return collections.Counter(
                c.params["text"] for c in fake.calls if c.method == "sendMessage" and not c.failed
                and ("打个分" in str(c.params.get("text", "")) or "温馨提醒" in str(c.params.get("text", ""))))

        deadline = time.monotonic() + 60
        while sum(pushed().values()) < count // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        # Kill the process that leads the queueing (it holds the advisory lock), mid-run.
        leader = db_rows(postgres_database, "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                         "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted")
        assert len(leader) == 1, "one process leads the queueing of booking messages"
        victim = procs[int(leader[0][0].removeprefix("server"))][0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        deadline = time.monotonic() + 120
        while len(pushed()) < 2 * count and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        got = pushed()
        rated = [t for t in got if "打个分" in t]
        reminded = [t for t in got if "温馨提醒" in t]
        assert len(rated) == count, f"{count - len(rated)} rating requests never arrived"
        assert len(reminded) == count, f"{count - len(reminded)} reminders never arrived"
        twice = {text: n for text, n in got.items() if n > 1}
        assert len(twice) <= 1 and all(n == 2 for n in twice.values()), twice
        assert db_rows(postgres_database, "SELECT count(*) FILTER (WHERE rating_requested), "
                       "count(*) FILTER (WHERE reminder_sent) FROM bookings") == [(count, count)]
        # The survivor tries for the lead every few seconds (bot.backend.leadership): it holds it soon after.
        deadline = time.monotonic() + 20
        survivor: list[Any] = []
        while not survivor and time.monotonic() < deadline:
            survivor = db_rows(postgres_database, "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                               "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted")
            time.sleep(0.2)
        assert survivor and survivor != leader, "the other process took the lead over"
        assert db_rows(postgres_database, "SELECT kind, count(*) FROM outbox GROUP BY kind ORDER BY kind") == [
            ("rating_request", count), ("reminder", count)], "each booking queued one message, whichever process did"
    finally:
        _stop_all(procs, fake_server, postgres_database)

