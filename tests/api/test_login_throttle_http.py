"""Password guessing against a live server, through the staff JSON API and the console alike.

Client addresses come from X-Forwarded-For, believed from the proxy at 127.0.0.1 as the tests' server is
told to; a request without one is a request seen only as the proxy's address.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr

from bot.config import Settings
from tests.conftest import TEST_SECRET_KEY, FixedClock, LiveServer, db_rows, make_live
from tests.console.helpers import csrf_of
from tests.factories import make_staff

WRONG = "not-the-password"
REDIS_URL = "redis://127.0.0.1:6379/15"
REDIS_PREFIX = "linli:login:"
Serve = Callable[..., str]


def _settings(database_url: str, model_dir: Path, **kw: Any) -> Settings:
    return Settings(_env_file=None, environment="test", secret_key=SecretStr(TEST_SECRET_KEY),  # type: ignore[call-arg]
                    database_url=database_url, model_dir=model_dir, trusted_proxies="127.0.0.1", **kw)


@pytest.fixture
def serve(nlu: Any, retriever: Any, clock: FixedClock, model_dir: Path) -> Iterator[Serve]:
    """Start app instances (each its own runtime) on the test's clock; returns a starter giving base URLs."""
    servers: list[LiveServer] = []

    def start(database_url: str, **kw: Any) -> str:
        server, _ = make_live(_settings(database_url, model_dir, **kw), nlu, retriever, clock=clock)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fresh_redis() -> Iterator[None]:
    """Redis database 15 without login records, before and after."""
    client = redis.Redis.from_url(REDIS_URL)

    def flush() -> None:
        keys = list(client.scan_iter(match=f"{REDIS_PREFIX}*"))
        if keys:
            client.delete(*keys)

    flush()
    yield
    flush()
    client.close()


@dataclass
class Door:
    """One client signing in the way it does: the API with JSON (keeping its device token), or the
    console with a form (the browser keeping its cookies)."""

    kind: str
    client: httpx.Client
    device: str = ""

    def sign_in(self, username: str, password: str, address: str | None = None) -> httpx.Response:
        headers = {"X-Forwarded-For": address} if address else {}
        if self.kind == "api":
            if self.device:
                headers["X-Login-Device"] = self.device
            r = self.client.post("/api/v1/staff/login", json={"username": username, "password": password},
                                 headers=headers)
            if r.status_code == 200:
                self.device = r.json()["device"]
            return r
        page = self.client.get("/console/login")
        return self.client.post("/console/login", headers=headers,
                                data={"username": username, "password": password, "csrf": csrf_of(page.text)})

    def signed_in(self, r: httpx.Response) -> bool:
        return r.status_code == (200 if self.kind == "api" else 303)

    def refusal(self, r: httpx.Response) -> str:
        return str(r.json()["detail"]) if self.kind == "api" else r.text


@pytest.fixture(params=["api", "console"])
def door_kind(request: pytest.FixtureRequest) -> str:
    """Each test runs through the JSON API and through the console."""
    return str(request.param)


Doors = Callable[[str, str], Door]


@pytest.fixture
def door() -> Iterator[Doors]:
    """Opens clients of either kind on a server, closed after the test."""
    opened: list[Door] = []

    def open_door(kind: str, url: str) -> Door:
        opened.append(Door(kind, httpx.Client(base_url=url, timeout=30)))
        return opened[-1]

    yield open_door
    for d in opened:
        d.client.close()


def fail_counted(d: Door, clock: FixedClock, username: str, times: int, address: str | None = None) -> list[int]:
    """Wrong passwords until `times` of them were checked, waiting out each delay; returns the waits."""
    waits: list[int] = []
    failed = 0
    while failed < times:
        r = d.sign_in(username, WRONG, address)
        if r.status_code == 401:
            failed += 1
            continue
        assert r.status_code == 429, r.text
        waits.append(int(r.headers["Retry-After"]))
        clock.advance(dt.timedelta(seconds=waits[-1]))
    return waits


def test_forty_wrong_passwords_then_the_right_one_waits_out_the_delay(
        door: Doors, door_kind: str, serve: Serve, database_url: str, clock: FixedClock) -> None:
    pw = make_staff(database_url, "zhang", "default")
    d = door(door_kind, serve(database_url))
    statuses = [d.sign_in("zhang", WRONG, "203.0.113.7").status_code for _ in range(40)]
    assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}

    refused = d.sign_in("zhang", pw, "203.0.113.7")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert "登录尝试次数过多，请 2 秒后再试。" in d.refusal(refused)
    clock.advance(dt.timedelta(seconds=2))
    assert d.signed_in(d.sign_in("zhang", pw, "203.0.113.7"))

    rows = db_rows(database_url, "SELECT action, object_id, staff_id, detail FROM audit_log ORDER BY id")
    failed = [r for r in rows if r.action == "login_failed"]
    assert len(failed) == 6 and {(r.object_id, r.staff_id) for r in failed} == {("zhang", None)}
    assert all(json.loads(r.detail) == {"ip": "203.0.113.7"} for r in failed)
    assert rows[-1].action == "login" and rows[-1].staff_id is not None


def test_a_guessed_account_slows_its_owner_for_a_minute_and_nobody_else(
        door: Doors, door_kind: str, serve: Serve, database_url: str, clock: FixedClock) -> None:
    pw = make_staff(database_url, "zhang", "default")
    make_staff(database_url, "li", "default", password=pw)
    url = serve(database_url)
    waits = fail_counted(door(door_kind, url), clock, "zhang", 25, "203.0.113.7")
    assert waits[:4] == [2, 4, 8, 16] and max(waits) == 900

    # Another account signs in at once, from another address and from the guesser's own (a shared
    # office or proxy address): 25 failures are well under what one address may make.
    for address in ("198.51.100.2", "203.0.113.7"):
        li = door(door_kind, url)
        assert li.signed_in(li.sign_in("li", pw, address)), address
    # zhang elsewhere waits at most a minute, and is never locked out.
    zhang = door(door_kind, url)
    held = zhang.sign_in("zhang", pw, "198.51.100.2")
    assert held.status_code == 429 and int(held.headers["Retry-After"]) <= 60
    clock.advance(dt.timedelta(seconds=int(held.headers["Retry-After"])))
    assert zhang.signed_in(zhang.sign_in("zhang", pw, "198.51.100.2"))


def test_behind_an_unresolved_proxy_a_client_that_signed_in_before_keeps_signing_in(
        door: Doors, door_kind: str, serve: Serve, database_url: str, clock: FixedClock) -> None:
    """Without X-Forwarded-For every request is the proxy's: one address for staff and guesser alike."""
    pw = make_staff(database_url, "zhang", "default")
    make_staff(database_url, "li", "default", password=pw)
    url = serve(database_url)
    own = door(door_kind, url)
    assert own.signed_in(own.sign_in("zhang", pw))

    guesser = door(door_kind, url)
    fail_counted(guesser, clock, "zhang", 12)
    for i in range(40):
        guesser.sign_in(f"user{i}", WRONG)
    assert guesser.sign_in("zhang", pw).status_code == 429
    assert own.signed_in(own.sign_in("zhang", pw))
    # A client new to the account shares the proxy's address, now held up: the reason to resolve
    # client addresses at the proxy (TRUSTED_PROXIES).
    newcomer = door(door_kind, url).sign_in("li", pw)
    assert newcomer.status_code == 429 and int(newcomer.headers["Retry-After"]) <= 900


def test_two_app_instances_on_one_database_share_the_count(
        door: Doors, serve: Serve, any_database_url: str, clock: FixedClock) -> None:
    """Guesses spread over two instances, one through the API and one through the console, add up."""
    pw = make_staff(any_database_url, "zhang", "default")
    api = door("api", serve(any_database_url))
    console = door("console", serve(any_database_url))
    for i in range(6):
        assert (api if i % 2 else console).sign_in("zhang", WRONG, "203.0.113.7").status_code == 401
    assert api.sign_in("zhang", pw, "203.0.113.7").status_code == 429
    assert console.sign_in("zhang", pw, "203.0.113.7").status_code == 429
    assert len(db_rows(any_database_url, "SELECT id FROM audit_log WHERE action = 'login_failed'")) == 6


def test_with_redis_instances_on_separate_databases_share_the_count(
        door: Doors, serve: Serve, sqlite_template: Path, tmp_path: Path, clock: FixedClock,
        fresh_redis: None) -> None:
    urls = []
    for name in ("a", "b"):
        shutil.copy(sqlite_template, tmp_path / f"{name}.db")
        urls.append(f"sqlite:///{tmp_path / name}.db")
    username = f"zhang{uuid.uuid4().hex[:6]}"
    pw = make_staff(urls[0], username, "default")
    make_staff(urls[1], username, "default", password=pw)
    api = door("api", serve(urls[0], redis_url=REDIS_URL))
    console = door("console", serve(urls[1], redis_url=REDIS_URL))
    for i in range(6):
        assert (api if i % 2 else console).sign_in(username, WRONG, "203.0.113.7").status_code == 401
    assert console.sign_in(username, pw, "203.0.113.7").status_code == 429
    assert db_rows(urls[0], "SELECT count(*) AS n FROM login_throttle")[0].n == 0  # the counts are in Redis
    clock.advance(dt.timedelta(seconds=2))
    assert api.signed_in(api.sign_in(username, pw, "203.0.113.7"))


def test_odd_names_and_device_tokens_are_ordinary_failures(
        door: Doors, door_kind: str, serve: Serve, any_database_url: str, clock: FixedClock) -> None:
    pw = make_staff(any_database_url, "zhang", "default")
    d = door(door_kind, serve(any_database_url))
    assert d.sign_in("zh\x00ang", pw, "203.0.113.7").status_code == 401  # never zhang, whatever the password
    token = "é.é".encode()  # a device token no server issued, not even ASCII
    if door_kind == "api":
        r = d.client.post("/api/v1/staff/login", json={"username": "zhang", "password": WRONG},
                          headers={b"X-Login-Device": token})
    else:
        page = d.client.get("/console/login")
        cookie = b"linli_console_login=" + d.client.cookies["linli_console_login"].encode()
        r = d.client.post("/console/login", data={"username": "zhang", "password": WRONG, "csrf": csrf_of(page.text)},
                          headers={b"Cookie": cookie + b"; linli_console_device=" + token})
    assert r.status_code == 401
    rows = db_rows(any_database_url, "SELECT object_id FROM audit_log WHERE action = 'login_failed'")
    assert [r.object_id for r in rows] == ["zhang", "zhang"]
