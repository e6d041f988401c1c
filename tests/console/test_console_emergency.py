"""Staff see what an emergency is and where, in the inbox and on the escalation page."""

from __future__ import annotations

import sqlalchemy as sa

from bot.backend.db import sync_url
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, seed_escalation
from tests.factories import make_staff


def _mark(database_url: str, escalation_id: int, kind: str, location: str | None) -> None:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE escalations SET kind = :k, location = :l WHERE id = :i"),
                         {"k": kind, "l": location, "i": escalation_id})
    finally:
        engine.dispose()


def test_inbox_and_detail_show_the_kind_of_danger_and_the_place(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    fall = seed_escalation(console.database_url, "default", "我老伴摔倒了起不来了", reason="emergency", urgent=True)
    _mark(console.database_url, fall.escalation_id, "fall", "3号楼1单元601")
    smoke = seed_escalation(console.database_url, "default", "楼道里全是烟", reason="emergency", urgent=True)
    _mark(console.database_url, smoke.escalation_id, "smoke", None)
    with console_client(console.url, "zhang", pw) as zhang:
        rows = zhang.get("/console/fragments/inbox").text
        assert "摔倒" in rows and "位置：3号楼1单元601" in rows and "浓烟" in rows
        page = zhang.get(f"/console/escalations/{fall.escalation_id}").text
        assert "摔倒" in page and "位置：3号楼1单元601" in page
        assert "位置：" not in zhang.get(f"/console/escalations/{smoke.escalation_id}").text
