"""Outbox rows are claimed by one sender at a time, however many processes drain the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import text

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Outbox, utcnow
from bot.backend.outbox import claim_due, notify
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from tests.conftest import run

LEASE = dt.timedelta(minutes=5)


async def _queue(url: str, count: int) -> None:
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session, session.begin():
        community = await ensure_community(session, "default", "默认社区")
        identity = await ensure_identity(session, "telegram", "42", community, "42")
        conv, _ = await ensure_conversation(session, identity, community)
        for i in range(count):
            await notify(session, conv, f"第{i}条", kind="staff_reply", sender="staff")
    await engine.dispose()


async def _drain(url: str, senders: int) -> list[list[int]]:
    """Each sender has its own engine (its own connections), as separate processes would.

    They start draining together, once each holds a connection: a sender still connecting would otherwise
    find the outbox already emptied by the first, and sharing could not be seen.
    """
    connected: list[None] = []
    all_connected = asyncio.Event()

    async def sender() -> list[int]:
        engine = create_engine(url)
        sessionmaker = create_sessionmaker(engine)
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        connected.append(None)
        if len(connected) == senders:
            all_connected.set()
        await all_connected.wait()
        got: list[int] = []
        while True:
            async with sessionmaker() as session, session.begin():
                rows = await claim_due(session, "telegram", now=utcnow(), lease=LEASE, limit=7)
            if not rows:
                break
            got += [r.id for r in rows]
            await asyncio.sleep(0)
        await engine.dispose()
        return got

    return await asyncio.gather(*(sender() for _ in range(senders)))


def test_concurrent_senders_never_claim_the_same_row(any_database_url: str) -> None:
    run(_queue(any_database_url, 400))
    claimed = run(_drain(any_database_url, 4))
    every = [row for got in claimed for row in got]
    assert len(every) == 400, "every row claimed"
    assert len(set(every)) == 400, "no row claimed twice"
    assert sum(1 for got in claimed if got) >= 2, "the work is shared, not serialised on one sender"


def test_a_claimed_row_comes_back_when_its_lease_runs_out(any_database_url: str) -> None:
    run(_queue(any_database_url, 3))

    async def scenario() -> tuple[int, int, int, str]:
        engine = create_engine(any_database_url)
        sessionmaker = create_sessionmaker(engine)
        now = utcnow()
        async with sessionmaker() as session, session.begin():
            first = await claim_due(session, "telegram", now=now, lease=LEASE)
        async with sessionmaker() as session, session.begin():
            during = await claim_due(session, "telegram", now=now + LEASE / 2, lease=LEASE)
        async with sessionmaker() as session, session.begin():
            after = await claim_due(session, "telegram", now=now + LEASE * 2, lease=LEASE)
            status = (await session.get(Outbox, after[0].id)).status  # type: ignore[union-attr]
        await engine.dispose()
        return len(first), len(during), len(after), status

    assert run(scenario()) == (3, 0, 3, "pending"), "a sender that died mid-send loses nothing"
