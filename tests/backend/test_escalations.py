"""The inbox order: a danger first, then residents waiting for a person, then failures, then follow-ups."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.backend import escalations
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Escalation, StaffUser
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _ordered(database_url: str, opened: list[tuple[str, int]], *, claim_by: int | None = None,
             mine: bool = False) -> list[str]:
    """Open one escalation per (reason, minutes after T0) and list them as staff member 1 sees them."""

    async def run() -> list[str]:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, "default", "默认社区")
            staff = StaffUser(username="zhang", password_hash="x", community_id=c.id, role="staff")
            session.add(staff)
            await session.flush()
            for i, (reason, minutes) in enumerate(opened):
                identity = await ensure_identity(session, "web", f"resident-{i}", c)
                conv, _ = await ensure_conversation(session, identity, c)
                esc = await escalations.open_escalation(session, conv, reason, urgent=reason == "bad_rating")
                esc.created_at = T0 + dt.timedelta(minutes=minutes)
                if claim_by is not None and i % 2 == 0:
                    esc.assigned_staff_id = staff.id
            await session.flush()
            found = await escalations.list_for_staff(session, staff, mine=mine)
            out = [f"{e.reason}@{int((e.created_at - T0).total_seconds() // 60)}" for e in found]
        await engine.dispose()
        return out

    return asyncio.run(run())


def test_a_fall_comes_before_older_rating_follow_ups_and_requests(any_database_url: str) -> None:
    # The incident of the issue: a fall sat below three rating follow-ups, all marked the same red.
    opened = [("bad_rating", 0), ("bad_rating", 1), ("bad_rating", 2), ("requested", 5), ("error", 3),
              ("emergency", 30), ("urge", 10)]
    assert _ordered(any_database_url, opened) == [
        "emergency@30", "requested@5", "urge@10", "error@3", "bad_rating@0", "bad_rating@1", "bad_rating@2"]


def test_mine_keeps_what_this_worker_has_taken_on(any_database_url: str) -> None:
    opened = [("requested", 0), ("requested", 1), ("emergency", 2), ("error", 3)]
    assert _ordered(any_database_url, opened, claim_by=1, mine=True) == ["emergency@2", "requested@0"]


def test_every_reason_the_code_opens_has_a_rank() -> None:
    # A new reason without a rank would sink silently to the middle of the list.
    import re
    from pathlib import Path

    from bot.config import PROJECT_ROOT

    opened = set()
    for path in [*Path(PROJECT_ROOT, "actions").glob("*.py"), *Path(PROJECT_ROOT, "bot").rglob("*.py")]:
        opened |= set(re.findall(r'open_escalation\([^)]*?,\s*[^,]*?,\s*"(\w+)"', path.read_text(encoding="utf-8")))
    assert opened and opened <= set(escalations.URGENCY), opened - set(escalations.URGENCY)
    assert Escalation.reason.type.length >= max(map(len, escalations.URGENCY))  # type: ignore[attr-defined]
