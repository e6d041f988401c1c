"""Test data made through the real backend functions."""

from __future__ import annotations

import asyncio

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.residents import ensure_community
from bot.backend.staff import create_staff


def make_staff(database_url: str, username: str, community: str | None, *, role: str = "staff",
               password: str = "correct-horse-battery") -> str:
    """Create a community (if needed) and a staff account; return the password."""

    async def run() -> None:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, community, community) if community else None
            await create_staff(session, username, password, community=c, role=role)
        await engine.dispose()

    asyncio.run(run())
    return password
