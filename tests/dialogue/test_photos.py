"""Photos wait in the conversation's stored state for their request, whichever worker gets each message."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

from bot.bootstrap import build_runtime
from bot.dialogue.engine import InboundMessage, TurnResult
from tests.conftest import FixedClock, _base_settings, db_rows

REQUEST = ["楼道灯坏了三天了", "5号楼2单元楼道", "13912345678", "/affirm"]


def _two_workers(url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock,
                 steps: list[tuple[int, str, dict[str, Any]]], gap: dt.timedelta = dt.timedelta(0)) -> list[TurnResult]:
    """Messages of one resident, each to the worker named by its index (0 or 1), each `gap` after the last."""
    settings = _base_settings(database_url=url, model_dir=model_dir)

    async def go() -> list[TurnResult]:
        workers = [build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock) for _ in range(2)]
        try:
            out = []
            for i, (worker, text, meta) in enumerate(steps):
                out.append(await workers[worker].dialogue.handle(
                    InboundMessage(sender="tg-42", text=text, channel="telegram", message_id=f"u{i}",
                                   metadata=meta)))
                clock.now += gap
            return out
        finally:
            for w in workers:
                await w.close()

    return asyncio.run(go())


def _file_ids(attachments: Any) -> list[str]:
    """The photos of a work order's attachments column (JSON text on SQLite)."""
    items = json.loads(attachments) if isinstance(attachments, str) else attachments or []
    return [a["file_id"] for a in items]


def test_a_photo_sent_to_one_worker_goes_with_the_request_filed_on_another(
        any_database_url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    steps = [(0, "拍给你们看", {"photo": "photo-a"}), (1, "还有这张", {"photo": "photo-b"})]
    steps += [(1 - i % 2, text, {}) for i, text in enumerate(REQUEST)]
    results = _two_workers(any_database_url, model_dir, nlu, retriever, clock, steps)
    assert results[-1].did("work_order_filed"), [r.text for r in results[-1].replies]
    [(attachments,)] = db_rows(any_database_url, "SELECT attachments FROM work_orders")
    assert _file_ids(attachments) == ["photo-a", "photo-b"]


def test_the_next_request_does_not_take_the_photos_again(
        database_url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    steps = [(0, "拍给你们看", {"photo": "photo-a"}), *[(0, t, {}) for t in REQUEST]]
    steps += [(1, "小区东门的路灯不亮了", {}), (1, "小区东门", {}), (1, "13912345678", {}), (1, "/affirm", {})]
    results = _two_workers(database_url, model_dir, nlu, retriever, clock, steps)
    assert results[-1].did("work_order_filed")
    rows = db_rows(database_url, "SELECT attachments FROM work_orders ORDER BY id")
    assert [_file_ids(r) for (r,) in rows] == [["photo-a"], []]


def test_a_photo_from_an_hour_ago_does_not_join_a_new_request(
        database_url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    steps = [(0, "拍给你们看", {"photo": "old-photo"}), *[(1, t, {}) for t in REQUEST]]
    results = _two_workers(database_url, model_dir, nlu, retriever, clock, steps, gap=dt.timedelta(minutes=20))
    assert results[-1].did("work_order_filed")
    [(attachments,)] = db_rows(database_url, "SELECT attachments FROM work_orders")
    assert _file_ids(attachments) == []
