"""Staff see in the console transcript which messages could not be pushed to a WeChat resident, and why."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.backend.db import sync_url
from bot.config import Settings
from tests.conftest import FixedClock, make_live
from tests.console.helpers import console_client, seed_escalation
from tests.factories import make_staff


def test_transcript_marks_a_message_the_closed_window_kept_from_the_resident(
        settings: Settings, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    try:
        pw = make_staff(settings.database_url, "zhang", "default")
        seeded = seed_escalation(settings.database_url, "default", "楼下路灯坏了")
        engine = sa.create_engine(sync_url(settings.database_url))
        with engine.begin() as conn:
            for text, status, error in (("您好，路灯明天修。", "pending", "超过48小时客服窗口，无法主动推送"),
                                        ("已经安排好了。", "sent", None)):
                conn.execute(sa.text("INSERT INTO messages (conversation_id, direction, sender, text, reviewed, "
                                     "created_at) VALUES (:c, 'out', 'staff', :t, 0, '2026-12-09 02:00:00')"),
                             {"c": seeded.conversation_id, "t": text})
                conn.execute(sa.text("INSERT INTO outbox (conversation_id, channel, kind, text, due_at, attempts, "
                                     "status, last_error, created_at) VALUES (:c, 'wechat', 'staff_reply', :t, "
                                     "'2026-12-09 02:00:00', 1, :s, :e, '2026-12-09 02:00:00')"),
                             {"c": seeded.conversation_id, "t": text, "s": status, "e": error})
        engine.dispose()
        with console_client(server.url, "zhang", pw) as zhang:
            for path in (f"/console/escalations/{seeded.escalation_id}",
                         f"/console/fragments/escalations/{seeded.escalation_id}/transcript"):
                page = zhang.get(path).text
                assert page.count("未能推送给居民") == 1, path
                assert "超过48小时客服窗口，无法主动推送" in page
    finally:
        server.stop()
