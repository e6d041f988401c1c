"""A turn's result says what it did (a work order filed, a booking made), so channels never read reply text."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.engine import InboundMessage, TurnResult
from tests.conftest import FixedClock, db_rows


def test_filing_a_request_is_an_event_of_the_turn_and_of_its_retry(settings: Settings, nlu: Any, retriever: Any,
                                                                 clock: FixedClock) -> None:
    said = ["楼道灯坏了三天了", "3号楼2单元楼道", "13912345678", "确认"]

    async def run() -> list[TurnResult]:
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
        try:
            results = [await runtime.dialogue.handle(InboundMessage(sender="r1", text=t, message_id=f"m{i}"))
                       for i, t in enumerate(said)]
            retried = await runtime.dialogue.handle(InboundMessage(sender="r1", text=said[-1], message_id="m3"))
            return [*results, retried]
        finally:
            await runtime.close()

    *asking, filed, retried = asyncio.run(run())
    [(number,)] = db_rows(settings.database_url, "SELECT number FROM work_orders")
    assert not any(r.events for r in asking)
    assert [(e.kind, e.number) for e in filed.events] == [("work_order_filed", number)]
    assert filed.did("work_order_filed") and not filed.did("booking_made")
    assert retried.duplicate and retried.did("work_order_filed")
