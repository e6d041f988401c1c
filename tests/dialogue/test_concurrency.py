"""Two workers on one database never interleave a conversation's turns, and lose nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.bootstrap import build_runtime
from bot.dialogue.engine import InboundMessage
from tests.conftest import FixedClock, _base_settings, db_rows


def test_two_workers_serialise_one_residents_turns(any_database_url: str, model_dir: Path, nlu: Any,
                                                   retriever: Any, clock: FixedClock) -> None:
    settings = _base_settings(database_url=any_database_url, model_dir=model_dir)
    texts = ["你好", "高龄津贴要带什么材料", "谢谢", "在哪里办", "几点上班", "好的", "再见", "你好"]

    async def run() -> list[Any]:
        a = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        b = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            jobs = [
                (a if i % 2 else b).dialogue.handle(InboundMessage(sender="same", text=t, message_id=f"m{i}"))
                for i, t in enumerate(texts)
            ]
            return list(await asyncio.gather(*jobs))
        finally:
            await a.close()
            await b.close()

    results = asyncio.run(run())
    assert all(r.replies for r in results)
    assert len({r.conversation_id for r in results}) == 1
    inbound = db_rows(any_database_url, "SELECT count(*) FROM messages WHERE direction = 'in'")
    assert inbound == [(len(texts),)]
    # Each turn ran whole: its replies follow its own message, never another turn's.
    rows = db_rows(any_database_url, "SELECT direction FROM messages ORDER BY id")
    directions = "".join("i" if d == "in" else "o" for (d,) in rows)
    assert directions.startswith("i") and "ii" not in directions
