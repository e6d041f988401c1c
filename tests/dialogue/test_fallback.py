"""When unsure, ask with the likeliest meanings as buttons; the second time in a row, offer a human."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.bootstrap import build_runtime
from bot.config import Settings
from bot.dialogue.engine import InboundMessage
from tests.conftest import FixedClock


class UnsureNlu:
    """The real NLU with its confidence scaled down, as on a message it has never seen the like of."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def parse(self, text: str, now: Any = None) -> Any:
        p = self.inner.parse(text, now=now)
        if text.startswith("/"):
            return p
        p["intent"] = {**p["intent"], "confidence": p["intent"]["confidence"] * 0.3}
        p["intent_ranking"] = [{**r, "confidence": r["confidence"] * 0.3} for r in p["intent_ranking"]]
        return p


def test_two_unsure_turns_lead_to_a_human(settings: Settings, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    async def run() -> list[Any]:
        runtime = build_runtime(settings, nlu=UnsureNlu(nlu), retriever=retriever, clock=clock)
        try:
            out = []
            for text in ("老人那个钱的事情咋弄", "就是那个补贴嘛", "/request_human"):
                out.append(await runtime.dialogue.handle(InboundMessage(sender="u", text=text)))
            return out
        finally:
            await runtime.close()

    first, second, third = asyncio.run(run())
    titles = [b.title for b in first.replies[0].buttons]
    assert "没太明白" in first.replies[0].text
    assert 2 <= len(titles) <= 4 and "转人工" in titles
    assert all(b.payload.startswith("/") for b in first.replies[0].buttons)
    assert "工作人员" in second.replies[0].text
    assert [b.title for b in second.replies[0].buttons][0] == "转人工"
    assert third.handoff
