"""Slowing down password guessing on staff sign-in, shared by every server process.

Each attempt is judged by three records, so nobody can shut a colleague out:

- pair (account|address): a few free failures, then 2 s, 4 s, 8 s … up to 15 minutes. This is what stops
  one guesser at one address.
- account: more free failures and a low ceiling (60 s), so guessing from many addresses is slowed while a
  stranger can only make the real staff member wait a minute, never lock them out.
- address: many free failures (a whole office may share one address), then delays up to 15 minutes,
  against one address trying many accounts.

A browser (or API client) that signed in to an account before carries a signed device token; its
attempts on that account are judged by the device's own record only (same rule as a pair). Behind a
reverse proxy that is not in TRUSTED_PROXIES every attempt seems to come from the proxy, so pair and
address records are shared by everyone there; the device token is then what keeps staff signing in
while someone outside guesses.

While a delay runs every attempt is refused without looking at the password, so a right guess cannot
be confirmed. An attempt is counted as a failure *before* the password is checked (and refunded for the
address if it succeeds): two parallel attempts cannot both slip through one free slot. A success clears
the pair, account and device records; the address keeps its count, so signing in with one's own
account does not reset a count run up against others. Records without a failure for an hour are
forgotten.

Records live in the database (table login_throttle, written in the request's own transaction, so the
failure, its audit row and the count commit together) or in Redis when REDIS_URL is set (one Lua script
per attempt, atomic across the records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import and_, case, delete, literal, null, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import LoginThrottleEntry as Entry
from bot.backend.models import UTCDateTime
from bot.config import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
DEVICE_TOKEN_MAX = 100
# Bulk statements on records the session never loads: nothing to keep in step.
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Rule:
    """Free failures, then a delay that doubles with each further failure up to a ceiling."""

    free: int
    first_delay: float
    max_delay: float

    def schedule(self) -> list[float]:
        """Delays after failure free+1, free+2, …; the last one (the ceiling) repeats."""
        delays = [min(self.first_delay, self.max_delay)]
        while delays[-1] * 2 < self.max_delay:
            delays.append(delays[-1] * 2)
        return [*delays, self.max_delay] if delays[-1] < self.max_delay else delays

    def delay_after(self, failures: int) -> float:
        """Seconds to wait after this many failures in a row (0 while they are free)."""
        if failures <= self.free:
            return 0.0
        delays = self.schedule()
        return delays[min(failures - self.free, len(delays)) - 1]


@dataclass(frozen=True)
class Policy:
    """The rules of the four kinds of record, and how long a record without failures is kept."""

    pair: Rule = Rule(free=5, first_delay=2, max_delay=900)
    account: Rule = Rule(free=10, first_delay=2, max_delay=60)
    address: Rule = Rule(free=30, first_delay=2, max_delay=900)
    device: Rule = Rule(free=5, first_delay=2, max_delay=900)
    forget_after: dt.timedelta = dt.timedelta(hours=1)


@dataclass(frozen=True, order=True)
class ThrottleKey:
    """One record: its scope (pair, account, address, device), its key, and the rule it follows."""

    scope: str
    key: str
    rule: Rule = field(compare=False)


@dataclass(frozen=True)
class Claim:
    """An attempt counted on one record, and the delay (if any) that counting started."""

    key: ThrottleKey
    until: dt.datetime | None


@dataclass(frozen=True)
class ClaimResult:
    """Either every record counted the attempt, or none did and the attempt waits until a moment."""

    claims: list[Claim]
    blocked_until: dt.datetime | None = None


class ThrottleStore(Protocol):
    """Where the records live; every method is atomic for the records it touches."""

    async def claim(self, keys: Sequence[ThrottleKey], now: dt.datetime, stale_before: dt.datetime) -> ClaimResult:
        """Count an attempt on every record unless one of them is in a delay (then count none)."""
        ...

    async def refund(self, claim: Claim) -> None:
        """Take back one counted attempt (it succeeded), and the delay it started."""
        ...

    async def clear(self, keys: Sequence[ThrottleKey]) -> None:
        """Forget these records."""
        ...

    async def forget(self, stale_before: dt.datetime) -> None:
        """Drop records whose last failure is older than the moment."""
        ...


@dataclass
class Attempt:
    """One sign-in attempt: allowed (retry_after 0) or to be refused for retry_after seconds."""

    account: str
    address: str
    device: str | None
    claims: list[Claim]
    retry_after: int = 0

    @property
    def allowed(self) -> bool:
        """Whether the password may be checked at all."""
        return self.retry_after == 0


class LoginThrottle:
    """The policy over a store: what an attempt counts on, when it is refused, what a success clears."""

    def __init__(self, store: ThrottleStore, clock: Clock, signing_key: bytes, policy: Policy | None = None) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy or Policy()
        self._signing_key = signing_key

    async def attempt(self, username: str, address: str, device_token: str = "") -> Attempt:
        """Count an attempt before the password is checked, or say how long to wait."""
        account = normalise_account(username)
        device = self.device_of(device_token, account)
        keys = [self._key("device", device)] if device else self._untrusted_keys(account, address)
        now = self.clock()
        result = await self.store.claim(sorted(keys), now, now - self.policy.forget_after)
        if result.blocked_until is None:
            return Attempt(account, address, device, result.claims)
        wait = max(1, math.ceil((result.blocked_until - now).total_seconds()))
        log.info("sign-in to %r from %s refused for %d s after repeated failures", account, address, wait)
        return Attempt(account, address, device, [], retry_after=wait)

    async def failed(self, attempt: Attempt) -> None:
        """The password was wrong: the attempt stays counted; old records are dropped on the way."""
        await self.store.forget(self.clock() - self.policy.forget_after)

    async def succeeded(self, attempt: Attempt) -> str:
        """The password was right: clear the pair, account and device records; returns a device token."""
        pair, account, _ = self._untrusted_keys(attempt.account, attempt.address)
        clear = [pair, account] + ([self._key("device", attempt.device)] if attempt.device else [])
        for claim in attempt.claims:
            if claim.key.scope == "address":
                await self.store.refund(claim)
        await self.store.clear(sorted(clear))
        return self.device_token(attempt.account, attempt.device)

    def device_token(self, account: str, device: str | None = None) -> str:
        """A token naming a device that has signed in to this account (a new device unless one is given)."""
        nonce = device or secrets.token_urlsafe(12)
        return f"{nonce}.{self._device_signature(account, nonce)}"

    def device_of(self, token: str, account: str) -> str | None:
        """The device a token names, if it was issued for this account by this server."""
        nonce, _, signature = token[:DEVICE_TOKEN_MAX].partition(".")
        if not nonce or not signature:
            return None
        expected = self._device_signature(account, nonce).encode()
        return nonce if hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected) else None

    def _device_signature(self, account: str, nonce: str) -> str:
        message = f"login-device:{account}:{nonce}".encode("utf-8", "surrogatepass")
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()[:32]

    def _key(self, scope: str, key: str) -> ThrottleKey:
        return ThrottleKey(scope, key, getattr(self.policy, scope))

    def _untrusted_keys(self, account: str, address: str) -> list[ThrottleKey]:
        return [self._key("pair", f"{account}|{address}"), self._key("account", account),
                self._key("address", address)]


def storable(typed: str) -> str:
    """A typed name without control characters or lone surrogates: no account has them, and PostgreSQL
    cannot store a NUL, so such a name is recorded (and judged) without them."""
    return "".join(ch for ch in typed if unicodedata.category(ch) not in ("Cc", "Cs"))


def normalise_account(username: str) -> str:
    """The account a typed name counts against: Zhang and ' zhang' are one account to a guesser."""
    return storable(username).strip().lower()[:64]


class DatabaseStore:
    """Records in the login_throttle table, written in the caller's transaction.

    One upsert per record (INSERT … ON CONFLICT DO UPDATE, on PostgreSQL and SQLite alike) counts the
    attempt only where no delay runs; the row lock it takes on PostgreSQL, or SQLite's write lock, holds
    a parallel attempt on the same record until this one commits, and records are taken in one order
    (sorted), so two attempts never wait on each other.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    async def claim(self, keys: Sequence[ThrottleKey], now: dt.datetime, stale_before: dt.datetime) -> ClaimResult:
        """Count on every record inside a savepoint, rolled back when one of them is in a delay."""
        claims: list[Claim] = []
        savepoint = await self.session.begin_nested()
        for key in keys:
            row = (await self.session.execute(self._claim_statement(key, now, stale_before))).first()
            if row is None:
                await savepoint.rollback()
                return ClaimResult([], await self._blocked_until(keys, now))
            claims.append(Claim(key, row.next_allowed_at))
        await savepoint.commit()
        return ClaimResult(claims)

    def _claim_statement(self, key: ThrottleKey, now: dt.datetime, stale_before: dt.datetime) -> Any:
        insert = pg_insert if self.postgres else sqlite_insert
        failures = case((or_(Entry.last_failure_at.is_(None), Entry.last_failure_at < stale_before), 1),
                        else_=Entry.failures + 1)
        first = _until(key.rule, 1, now)
        stmt = insert(Entry).values(scope=key.scope, key=key.key, failures=1, next_allowed_at=first,
                                    last_failure_at=now)
        return stmt.on_conflict_do_update(
            index_elements=[Entry.scope, Entry.key],
            set_={"failures": failures, "next_allowed_at": _until_expression(key.rule, failures, now),
                  "last_failure_at": now},
            where=or_(Entry.next_allowed_at.is_(None), Entry.next_allowed_at <= now),
        ).returning(Entry.next_allowed_at)

    async def _blocked_until(self, keys: Sequence[ThrottleKey], now: dt.datetime) -> dt.datetime:
        rows = await self.session.execute(select(Entry.next_allowed_at).where(_any_of(keys)))
        # Between the refusal and this read the delay may have ended; one second is then soon enough.
        return max([u for (u,) in rows if u is not None] + [now + dt.timedelta(seconds=1)])

    async def refund(self, claim: Claim) -> None:
        """One failure fewer; the delay this attempt started (if still the one set) is lifted."""
        values: dict[str, Any] = {"failures": Entry.failures - 1}
        if claim.until is not None:
            started = literal(claim.until, UTCDateTime())
            values["next_allowed_at"] = case((Entry.next_allowed_at == started, null()), else_=Entry.next_allowed_at)
        await self.session.execute(update(Entry).where(_any_of([claim.key])).values(values),
                                   execution_options=_NO_SYNC)

    async def clear(self, keys: Sequence[ThrottleKey]) -> None:
        """Delete the records."""
        await self.session.execute(delete(Entry).where(_any_of(keys)), execution_options=_NO_SYNC)

    async def forget(self, stale_before: dt.datetime) -> None:
        """Delete a batch of stale records, skipping any another attempt holds (PostgreSQL)."""
        stale = (select(Entry.scope, Entry.key).where(Entry.last_failure_at < stale_before).limit(500)
                 .with_for_update(skip_locked=True))
        await self.session.execute(delete(Entry).where(tuple_(Entry.scope, Entry.key).in_(stale)),
                                   execution_options=_NO_SYNC)


def _until(rule: Rule, failures: int, now: dt.datetime) -> dt.datetime | None:
    delay = rule.delay_after(failures)
    return now + dt.timedelta(seconds=delay) if delay else None


def _until_expression(rule: Rule, failures: Any, now: dt.datetime) -> Any:
    """next_allowed_at for a failure count computed in SQL: one branch per step of the schedule."""
    steps = rule.schedule()
    branches: list[tuple[Any, Any]] = [(failures <= rule.free, null())]
    branches += [(failures == rule.free + i, literal(now + dt.timedelta(seconds=d), UTCDateTime()))
                 for i, d in enumerate(steps[:-1], start=1)]
    return case(*branches, else_=literal(now + dt.timedelta(seconds=steps[-1]), UTCDateTime()))


def _any_of(keys: Sequence[ThrottleKey]) -> Any:
    return or_(*[and_(Entry.scope == k.scope, Entry.key == k.key) for k in keys])


# KEYS: the records. ARGV: now (ms), forget after (ms), expiry (s), then per record its free failures and
# its schedule in ms ("2000,4000,…"). Numbers go back as strings: Lua would truncate them otherwise.
_CLAIM = """
local now, forget = tonumber(ARGV[1]), tonumber(ARGV[2])
local blocked = 0
for _, key in ipairs(KEYS) do
  local until_ = tonumber(redis.call('HGET', key, 'next') or '0')
  if until_ > now and until_ > blocked then blocked = until_ end
end
if blocked > 0 then return {'blocked', tostring(blocked)} end
local out = {'claimed'}
for i, key in ipairs(KEYS) do
  local free, steps = tonumber(ARGV[2 + 2 * i]), {}
  for d in string.gmatch(ARGV[3 + 2 * i], '%d+') do steps[#steps + 1] = tonumber(d) end
  local failures = 0
  if now - tonumber(redis.call('HGET', key, 'last') or '0') < forget then
    failures = tonumber(redis.call('HGET', key, 'failures') or '0')
  end
  failures = failures + 1
  local until_ = '0'
  if failures > free then until_ = tostring(now + steps[math.min(failures - free, #steps)]) end
  redis.call('HSET', key, 'failures', failures, 'next', until_, 'last', tostring(now))
  redis.call('EXPIRE', key, tonumber(ARGV[3]))
  out[#out + 1] = until_
end
return out
"""

_REFUND = """
redis.call('HINCRBY', KEYS[1], 'failures', -1)
if ARGV[1] ~= '0' and redis.call('HGET', KEYS[1], 'next') == ARGV[1] then redis.call('HSET', KEYS[1], 'next', '0') end
"""


def _ms(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


class RedisStore:
    """Records as Redis hashes (failures, next, last), changed by Lua scripts so each call is atomic.

    Times come from the injected clock, not Redis's; the expiry is only a clean-up of records long
    forgotten by the policy.
    """

    def __init__(self, client: Redis, prefix: str = "linli:login:") -> None:
        self.client = client
        self.prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._refund = client.register_script(_REFUND)

    def _name(self, key: ThrottleKey) -> str:
        return f"{self.prefix}{key.scope}:{key.key}"

    async def claim(self, keys: Sequence[ThrottleKey], now: dt.datetime, stale_before: dt.datetime) -> ClaimResult:
        """Count on every record, or on none when one is in a delay."""
        forget_ms = _ms(now) - _ms(stale_before)
        expiry = math.ceil(forget_ms / 1000 + max(k.rule.max_delay for k in keys))
        args: list[Any] = [_ms(now), forget_ms, expiry]
        for key in keys:
            args += [key.rule.free, ",".join(str(round(d * 1000)) for d in key.rule.schedule())]
        reply = [_text(v) for v in await self._claim(keys=[self._name(k) for k in keys], args=args)]
        if reply[0] == "blocked":
            return ClaimResult([], _moment(int(reply[1])))
        return ClaimResult([Claim(k, None if u == "0" else _moment(int(u))) for k, u in zip(keys, reply[1:],
                                                                                              strict=True)])

    async def refund(self, claim: Claim) -> None:
        """One failure fewer, and the delay this attempt started lifted if no later one replaced it."""
        await self._refund(keys=[self._name(claim.key)], args=[str(_ms(claim.until)) if claim.until else "0"])

    async def clear(self, keys: Sequence[ThrottleKey]) -> None:
        """Delete the records."""
        await self.client.delete(*[self._name(k) for k in keys])

    async def forget(self, stale_before: dt.datetime) -> None:
        """Nothing to do: Redis expires old records itself."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


@asynccontextmanager
async def open_login_throttle(settings: Settings, session: AsyncSession, clock: Clock,
                              policy: Policy | None = None) -> AsyncIterator[LoginThrottle]:
    """The throttle for one sign-in request: Redis when REDIS_URL is set, else the request's session.

    A Redis that does not answer falls back to the database rather than stopping staff signing in.
    """
    key = settings.signing_key()
    if not settings.redis_url:
        yield LoginThrottle(DatabaseStore(session), clock, key, policy)
        return
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        try:
            await client.ping()
            store: ThrottleStore = RedisStore(client)
        except RedisError:
            log.warning("Redis at REDIS_URL does not answer; the login throttle uses the database meanwhile")
            store = DatabaseStore(session)
        yield LoginThrottle(store, clock, key, policy)
    finally:
        await client.aclose()
