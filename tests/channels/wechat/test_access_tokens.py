"""Access tokens shared through the database: fetched once for every process, replaced once when refused."""

from __future__ import annotations

import asyncio

from bot.backend.access_tokens import AccessTokens
from bot.backend.db import create_engine, create_sessionmaker


async def test_two_processes_needing_a_token_fetch_it_once(any_database_url: str) -> None:
    engines = [create_engine(any_database_url) for _ in range(2)]
    stores = [AccessTokens(create_sessionmaker(e)) for e in engines]
    fetched: list[str] = []

    async def fetch() -> tuple[str, int]:
        fetched.append("x")
        await asyncio.sleep(0.2)  # the other process asks meanwhile
        return f"token-{len(fetched)}", 7200

    try:
        tokens = await asyncio.gather(*(s.get("wechat-mp:app", fetch) for s in stores))
        assert tokens == ["token-1", "token-1"] and len(fetched) == 1
        assert await stores[1].get("wechat-mp:app", fetch) == "token-1"
        await stores[0].expire("wechat-mp:app", "token-1")
        await stores[1].expire("wechat-mp:app", "token-1")  # both saw it refused: one refresh still
        assert await asyncio.gather(*(s.get("wechat-mp:app", fetch) for s in stores)) == ["token-2", "token-2"]
        assert len(fetched) == 2
        await stores[0].expire("wechat-mp:app", "token-1")  # a stale refusal does not drop the new token
        assert await stores[0].get("wechat-mp:app", fetch) == "token-2" and len(fetched) == 2
    finally:
        for e in engines:
            await e.dispose()
