"""What a turn stores: the resident's message with what was understood, then each reply, in order."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.bootstrap import build_runtime
from bot.dialogue.engine import InboundMessage
from tests.conftest import FixedClock, _base_settings, db_rows


def test_a_turn_stores_the_message_then_its_replies_with_empty_columns_left_null(
        any_database_url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    settings = _base_settings(database_url=any_database_url, model_dir=model_dir)

    async def run() -> Any:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            return await runtime.dialogue.handle(InboundMessage(sender="s1", text="我想预约助浴服务"))
        finally:
            await runtime.close()

    result = asyncio.run(run())
    rows = db_rows(any_database_url, "SELECT direction, sender, text, intent, parse, buttons IS NULL, "
                                     "parse IS NULL FROM messages ORDER BY id")
    assert [r[0] for r in rows] == ["in"] + ["out"] * len(result.replies)
    direction, sender, text, intent, parse, no_buttons, _ = rows[0]
    assert (sender, text, intent) == ("resident", "我想预约助浴服务", "book_service")
    parse = json.loads(parse) if isinstance(parse, str) else parse
    assert parse["intent"]["name"] == "book_service"
    assert no_buttons, "a resident's message has no buttons: SQL NULL, not the JSON value null"
    replies = [(r.text, [b.as_dict() for b in r.buttons]) for r in result.replies]
    assert any(buttons for _, buttons in replies), "the booking form offers choices"
    stored = [(r[2], json.loads(b) if isinstance(b, str) else b)
              for r, (b,) in zip(rows[1:], db_rows(any_database_url, "SELECT buttons FROM messages "
                                                   "WHERE direction = 'out' ORDER BY id"), strict=True)]
    assert stored == replies
    assert all(r[1] == "bot" and r[6] for r in rows[1:]), "a reply has no parse: SQL NULL"
