"""The login throttle's policy on each store (SQLite, PostgreSQL, Redis), on a fixed clock.

Every test runs as two "processes" where it matters: two engines on one database, or two Redis clients.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.login_throttle import (
    Attempt,
    DatabaseStore,
    LoginThrottle,
    Policy,
    RedisStore,
    Rule,
    open_login_throttle,
)
from bot.config import Settings
from tests.conftest import TEST_SECRET_KEY, FixedClock, _truncate_postgres

KEY = b"a-signing-key-for-these-tests-only"
REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass
class Backend:
    """Two processes' view of one store: engines on one database, or clients of one Redis."""

    database_url: str | None = None
    redis: list[Redis] = field(default_factory=list)
    prefix: str = ""
    engines: list[AsyncEngine] = field(default_factory=list)

    @asynccontextmanager
    async def throttle(self, clock: FixedClock, policy: Policy | None = None,
                       process: int = 0) -> AsyncIterator[LoginThrottle]:
        """A throttle as one request sees it: on the database, inside one committed transaction."""
        if self.redis:
            yield LoginThrottle(RedisStore(self.redis[process], self.prefix), clock, KEY, policy)
            return
        async with create_sessionmaker(self.engines[process])() as session, session.begin():
            yield LoginThrottle(DatabaseStore(session), clock, KEY, policy)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Backend]:
    """A fresh store: a migrated SQLite file, the session's PostgreSQL database, or Redis database 15."""
    if request.param == "redis":
        clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
        prefix = f"linli-test:{uuid.uuid4().hex}:"
        yield Backend(redis=clients, prefix=prefix)
        keys = [k async for k in clients[0].scan_iter(match=f"{prefix}*")]
        if keys:
            await clients[0].delete(*keys)
        for client in clients:
            await client.aclose()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'linli.db'}"
        shutil.copy(sqlite_template, tmp_path / "linli.db")
    else:
        url = request.getfixturevalue("postgres_database")
    engines = [create_engine(url), create_engine(url)]
    yield Backend(database_url=url, engines=engines)
    for engine in engines:
        await engine.dispose()
    if request.param == "postgres":
        _truncate_postgres(url)


@dataclass
class Outcome:
    attempt: Attempt
    device: str = ""


async def sign_in(backend: Backend, clock: FixedClock, username: str, address: str, *, right: bool = False,
                  device: str = "", policy: Policy | None = None, process: int = 0,
                  checking: float = 0.0) -> Outcome:
    """One attempt as a login route makes it: asked, then (if allowed) the password is wrong or right."""
    async with backend.throttle(clock, policy, process) as throttle:
        attempt = await throttle.attempt(username, address, device)
        if not attempt.allowed:
            return Outcome(attempt)
        await asyncio.sleep(checking)  # the time a password check takes, during which others may try
        if right:
            return Outcome(attempt, await throttle.succeeded(attempt))
        await throttle.failed(attempt)
        return Outcome(attempt)


async def fail_through_delays(backend: Backend, clock: FixedClock, username: str, address: str, times: int,
                              policy: Policy | None = None) -> list[int]:
    """Fail `times` times, waiting out each delay as a patient guesser would; returns the waits met."""
    waits: list[int] = []
    done = 0
    while done < times:
        outcome = await sign_in(backend, clock, username, address, policy=policy)
        if outcome.attempt.allowed:
            done += 1
        else:
            waits.append(outcome.attempt.retry_after)
            clock.advance(dt.timedelta(seconds=outcome.attempt.retry_after))
    return waits


def test_delays_double_after_the_free_failures_up_to_a_ceiling() -> None:
    pair = Rule(free=5, first_delay=2, max_delay=900)
    assert [pair.delay_after(n) for n in range(1, 18)] == [0] * 5 + [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900,
                                                                     900]
    account = Rule(free=10, first_delay=2, max_delay=60)
    assert max(account.delay_after(n) for n in range(1, 200)) == 60
    assert account.delay_after(10) == 0 and account.delay_after(11) == 2


async def test_a_guesser_at_one_address_waits_longer_each_time(backend: Backend, clock: FixedClock) -> None:
    for _ in range(6):
        assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.allowed
    refused = (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True)).attempt
    assert not refused.allowed and refused.retry_after == 2  # even the right password waits
    waits = await fail_through_delays(backend, clock, "zhang", "203.0.113.7", 10)
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert (await sign_in(backend, clock, "Zhang ", "203.0.113.7")).attempt.retry_after == 900


async def test_a_stranger_can_slow_an_account_for_a_minute_but_never_lock_it(backend: Backend,
                                                                            clock: FixedClock) -> None:
    # Thirty addresses, each under its own limits, guess one account.
    waits: list[int] = []
    for i in range(30):
        waits += await fail_through_delays(backend, clock, "zhang", f"198.51.100.{i}", 1)
    assert waits and max(waits) <= 60
    real = (await sign_in(backend, clock, "zhang", "192.0.2.1", right=True)).attempt
    assert not real.allowed and real.retry_after <= 60
    clock.advance(dt.timedelta(seconds=real.retry_after))
    assert (await sign_in(backend, clock, "zhang", "192.0.2.1", right=True)).attempt.allowed
    # The success cleared the account: the next stranger starts from its free failures again.
    assert (await sign_in(backend, clock, "zhang", "198.51.100.99")).attempt.allowed
    assert (await sign_in(backend, clock, "zhang", "198.51.100.98")).attempt.allowed


async def test_one_address_trying_many_accounts_is_slowed_without_slowing_others(backend: Backend,
                                                                                clock: FixedClock) -> None:
    for i in range(31):
        assert (await sign_in(backend, clock, f"user{i}", "203.0.113.9")).attempt.allowed
    stopped = (await sign_in(backend, clock, "li", "203.0.113.9", right=True)).attempt
    assert not stopped.allowed and stopped.retry_after == 2
    assert (await sign_in(backend, clock, "li", "192.0.2.1", right=True)).attempt.allowed


async def test_success_clears_the_account_but_the_address_keeps_its_count(backend: Backend,
                                                                         clock: FixedClock) -> None:
    policy = Policy(address=Rule(free=8, first_delay=2, max_delay=900))
    for _ in range(4):
        await sign_in(backend, clock, "zhang", "203.0.113.7", policy=policy)
    for _ in range(3):
        await sign_in(backend, clock, "li", "203.0.113.7", policy=policy)
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True, policy=policy)).attempt.allowed
    # The address has seven failures (the success is not one of them): one more is free, the next
    # is counted and starts a delay for everyone at that address.
    assert (await sign_in(backend, clock, "li", "203.0.113.7", policy=policy)).attempt.allowed
    assert (await sign_in(backend, clock, "li", "203.0.113.7", policy=policy)).attempt.allowed
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True, policy=policy)).attempt.retry_after == 2
    # zhang's own count was cleared: five free failures from another address, then a delay.
    for _ in range(5):
        assert (await sign_in(backend, clock, "zhang", "192.0.2.1", policy=policy)).attempt.allowed


async def test_records_are_forgotten_after_an_hour_without_failures(backend: Backend, clock: FixedClock) -> None:
    for _ in range(6):
        await sign_in(backend, clock, "zhang", "203.0.113.7")
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.retry_after == 2
    clock.advance(dt.timedelta(minutes=59))
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.allowed  # 7th: a 4 s delay
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.retry_after == 4
    clock.advance(dt.timedelta(hours=1, seconds=1))
    for _ in range(6):
        assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.allowed
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7")).attempt.retry_after == 2


async def test_parallel_attempts_cannot_share_one_free_slot(backend: Backend, clock: FixedClock) -> None:
    # No free failures: the first attempt starts a delay before its password is even checked.
    strict = Policy(pair=Rule(free=0, first_delay=2, max_delay=900))
    outcomes = await asyncio.gather(*[
        sign_in(backend, clock, "zhang", "203.0.113.7", policy=strict, process=i % 2, checking=0.05)
        for i in range(8)])
    assert sorted(o.attempt.retry_after for o in outcomes) == [0] + [2] * 7


async def test_failures_from_two_processes_at_once_all_count(backend: Backend, clock: FixedClock) -> None:
    policy = Policy(pair=Rule(free=20, first_delay=2, max_delay=900), account=Rule(free=100, first_delay=2,
                                                                                    max_delay=60))
    outcomes = await asyncio.gather(*[
        sign_in(backend, clock, "zhang", "203.0.113.7", policy=policy, process=i % 2, checking=0.01)
        for i in range(20)])
    assert all(o.attempt.allowed for o in outcomes)
    # Twenty counted: the 21st failure is past the free ones and starts a delay.
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7", policy=policy)).attempt.allowed
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7", policy=policy, process=1)).attempt.retry_after == 2


async def test_a_device_that_signed_in_before_is_judged_on_its_own(backend: Backend, clock: FixedClock) -> None:
    device = (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True)).device
    await fail_through_delays(backend, clock, "zhang", "203.0.113.7", 12)  # the same proxy address
    for i in range(40):
        await sign_in(backend, clock, f"user{i}", "203.0.113.7")
    assert not (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True)).attempt.allowed
    trusted = await sign_in(backend, clock, "zhang", "203.0.113.7", right=True, device=device)
    assert trusted.attempt.allowed and trusted.device == device
    # The token is zhang's: for another account, or altered, it counts for nothing.
    assert not (await sign_in(backend, clock, "li", "203.0.113.7", device=device)).attempt.allowed
    altered = device[:-1] + ("1" if device.endswith("0") else "0")  # one character changed, whatever it was
    assert not (await sign_in(backend, clock, "zhang", "203.0.113.7", device=altered)).attempt.allowed
    # A device guessing gets its own few free failures, then waits.
    for _ in range(6):
        assert (await sign_in(backend, clock, "zhang", "203.0.113.7", device=device)).attempt.allowed
    assert (await sign_in(backend, clock, "zhang", "203.0.113.7", right=True, device=device)).attempt.retry_after == 2


async def test_without_an_answering_redis_the_database_keeps_count(database_url: str, clock: FixedClock) -> None:
    settings = Settings(_env_file=None, environment="test", secret_key=SecretStr(TEST_SECRET_KEY),  # type: ignore[call-arg]
                        database_url=database_url, redis_url="redis://127.0.0.1:1/0")
    engine = create_engine(database_url)
    try:
        for expected_wait in [0] * 6 + [2]:
            async with create_sessionmaker(engine)() as session, session.begin():
                async with open_login_throttle(settings, session, clock) as throttle:
                    attempt = await throttle.attempt("zhang", "203.0.113.7")
                    assert attempt.retry_after == expected_wait
                    if attempt.allowed:
                        await throttle.failed(attempt)
    finally:
        await engine.dispose()
