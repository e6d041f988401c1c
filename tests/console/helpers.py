"""Console test helpers: signed-in browser-like clients and rows made through the backend functions."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.backend import escalations
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Message, utcnow
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from bot.backend.workorders import file_work_order
from bot.config import PROJECT_ROOT, Settings
from tests.conftest import _base_settings


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no csrf field in page"
    return found.group(1)


@contextmanager
def console_client(base_url: str, username: str, password: str) -> Iterator[httpx.Client]:
    """A client signed in to the console, like a browser keeping cookies."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/console/login")
        r = client.post("/console/login",
                        data={"username": username, "password": password, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text
        yield client


def page_csrf(client: httpx.Client, path: str = "/console/") -> str:
    """The CSRF token of the signed-in session, read from a console page."""
    return csrf_of(client.get(path).text)


@dataclass
class Seeded:
    escalation_id: int
    conversation_id: int
    token: str


def seed_escalation(database_url: str, community: str, text: str = "我要找工作人员", *, reason: str = "requested",
                    urgent: bool = False) -> Seeded:
    """A resident conversation on the web channel with one understood message and an open escalation."""

    async def run() -> Seeded:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, community, community)
            identity = await ensure_identity(session, "web", f"r-{uuid.uuid4().hex[:8]}", c)
            conv, _ = await ensure_conversation(session, identity, c)
            parse = {"text": text, "intent": {"name": "request_human", "confidence": 0.93},
                     "entities": [{"entity": "service", "value": "elderly_allowance"}]}
            session.add(Message(conversation_id=conv.id, direction="in", sender="resident", text=text,
                                parse=parse, intent="request_human", confidence=0.93))
            esc = await escalations.open_escalation(session, conv, reason, urgent=urgent)
            out = Seeded(esc.id, conv.id, conv.token)
        await engine.dispose()
        return out

    return asyncio.run(run())


def seed_work_order(database_url: str, community: str, *, category: str = "维修", overdue: bool = False,
                    description: str = "楼道灯坏了") -> tuple[str, int]:
    """A work order filed from a web conversation; returns its number and the conversation id.

    Dated by `utcnow`, the clock the console's overdue marks and filter read (bot/console/workorder_routes.py),
    not the suite's fixed clock: an order filed on the fixed day would turn overdue once the real date moves
    three days past it. Switch to the test's clock when the console takes the runtime's clock."""

    async def run() -> tuple[str, int]:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, community, community)
            identity = await ensure_identity(session, "web", f"r-{uuid.uuid4().hex[:8]}", c)
            conv, _ = await ensure_conversation(session, identity, c)
            now = utcnow() - (dt.timedelta(days=10) if overdue else dt.timedelta(0))
            order = await file_work_order(
                session, community_id=c.id, resident_id=identity.resident_id, conversation_id=conv.id,
                category=category, description=description, location="3号楼2单元", contact_phone="13800001234",
                service_id=None, deadlines={}, local_day=now.date(), now=now)
            out = (order.number, conv.id)
        await engine.dispose()
        return out

    return asyncio.run(run())


def settings_with_catalog_copy(database_url: str, model_dir: Path, tmp_path: Path) -> Settings:
    """Settings whose catalog is a copy, so an edit or import in a test never touches the repository's files."""
    catalog = tmp_path / "catalog"
    shutil.copytree(PROJECT_ROOT / "knowledge" / "catalog", catalog)
    return _base_settings(database_url=database_url, model_dir=model_dir, catalog_dir=catalog)
