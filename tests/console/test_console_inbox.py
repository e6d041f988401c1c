"""The inbox as a worker uses it: urgency order, "mine", and the resident beside the transcript."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from bot.backend import escalations
from bot.backend.bookings import book
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Resident, Slot, utcnow
from bot.backend.ratings import record_rating
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from bot.backend.workorders import file_work_order
from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf, seed_escalation
from tests.factories import make_staff


def _seed_known_resident(database_url: str) -> int:
    """王秀英 of 默认社区 with an open order, a booking tomorrow, a poor rating, and an open hand-over."""

    async def run() -> int:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, "default", "默认社区")
            identity = await ensure_identity(session, "web", f"r-{uuid.uuid4().hex[:8]}", c)
            resident = await session.get(Resident, identity.resident_id)
            assert resident is not None
            resident.display_name, resident.elderly_mode = "王秀英", True
            conv, _ = await ensure_conversation(session, identity, c)
            now = utcnow()
            order = await file_work_order(
                session, community_id=c.id, resident_id=resident.id, conversation_id=conv.id, category="维修",
                description="卫生间水管漏水", location="5号楼2单元301", contact_phone="13912345678",
                service_id=None, deadlines={}, local_day=now.date(), now=now)
            start = now + dt.timedelta(days=1)
            slot = Slot(community_id=c.id, service_id="bathing-assistance", day=start.date(), start_at=start,
                        end_at=start + dt.timedelta(hours=1), capacity=2)
            session.add(slot)
            await session.flush()
            booking = await book(session, community_id=c.id, resident_id=resident.id, conversation_id=conv.id,
                                 service_id="bathing-assistance", slot_id=slot.id, people=1, name="王秀英",
                                 phone="13912345678", local_day=now.date())
            assert booking is not None
            await record_rating(session, community_id=c.id, resident_id=resident.id, subject_type="work_order",
                                subject_id=order.id, score=1, comment="修了两次还漏")
            esc = await escalations.open_escalation(session, conv, "requested")
            out = esc.id
        await engine.dispose()
        return out

    return asyncio.run(run())


def test_the_side_panel_shows_who_the_resident_is_and_reveals_the_phone_once_audited(
        console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    esc_id = _seed_known_resident(console.database_url)
    path = f"/console/escalations/{esc_id}"
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get(path).text
        panel = page[page.index('id="resident"'):page.index("对话记录")]
        for part in ("王秀英", "老年居民", "维修", "卫生间水管漏水", "非常不满意", "待回访", "助浴"):
            assert part in panel, part
        assert "13912345678" not in page and "139****5678" in panel
        assert "<dt>社区</dt><dd>" in panel
        assert "王秀英" in zhang.get("/console/fragments/inbox").text  # the inbox row names the resident too
        r = zhang.post(f"{path}/resident/reveal", data={"csrf": page_csrf(zhang, path)},
                       headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json() == {"phone": "13912345678"}
    audit = db_rows(console.database_url, "SELECT action, object_type FROM audit_log WHERE action = 'reveal_phone'")
    assert [(a.action, a.object_type) for a in audit] == [("reveal_phone", "resident")]


def test_another_communitys_worker_cannot_reveal_the_resident(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    esc_id = _seed_known_resident(console.database_url)
    with console_client(console.url, "li", pw) as li:
        r = li.post(f"/console/escalations/{esc_id}/resident/reveal", data={"csrf": page_csrf(li)},
                    headers={"Accept": "application/json"})
        assert r.status_code == 404 and "13912345678" not in r.text
    assert db_rows(console.database_url, "SELECT id FROM audit_log WHERE action = 'reveal_phone'") == []


def test_emergency_is_the_only_red_row_and_mine_lists_what_i_took(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    ratings = [seed_escalation(console.database_url, "default", f"差评第{i}条", reason="bad_rating", urgent=True)
               for i in range(3)]
    asked = seed_escalation(console.database_url, "default", "我要找人工")
    fall = seed_escalation(console.database_url, "default", "我妈摔倒了起不来", reason="emergency", urgent=True)
    with console_client(console.url, "zhang", pw) as zhang:
        rows = zhang.get("/console/fragments/inbox").text
        order = [rows.index(f'data-id="{s.escalation_id}"') for s in (fall, asked, *ratings)]
        assert order == sorted(order)
        assert rows.count("紧急</span>") == 1 and rows.count('data-emergency="1"') == 1
        assert rows.count("差评回访") == 3
        path = f"/console/escalations/{asked.escalation_id}"
        zhang.post(f"{path}/claim", data={"csrf": page_csrf(zhang, path)})
        mine = zhang.get("/console/fragments/inbox", params={"mine": "true"}).text
        assert f'data-id="{asked.escalation_id}"' in mine and "我接手的" in mine
        assert all(f'data-id="{s.escalation_id}"' not in mine for s in (fall, *ratings))
        assert "我接手的" in zhang.get("/console/", params={"mine": "true"}).text
