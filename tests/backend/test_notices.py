"""Community notices: who gets one, on which channel, once; opt-out and urgent warnings; the counts staff see."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import notices
from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Booking, Community, Conversation, Message, Outbox, Slot, StaffUser
from bot.backend.outbox import mark_failed, mark_sent
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from bot.backend.workorders import file_work_order

DAY = dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)


def _in_db(url: str, body: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await body(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def _resident(session: AsyncSession, community: Community, channel: str, name: str) -> Conversation:
    identity = await ensure_identity(session, channel, name, community, chat_id=name)
    conv, _ = await ensure_conversation(session, identity, community)
    return conv


async def _staff(session: AsyncSession, community: Community) -> StaffUser:
    staff = StaffUser(username=f"staff-{community.code}", password_hash="x", community_id=community.id)
    session.add(staff)
    await session.flush()
    return staff


async def _said_to_live_at(session: AsyncSession, conv: Conversation, location: str) -> None:
    await file_work_order(session, community_id=conv.community_id, resident_id=conv.resident_id,
                          conversation_id=conv.id, category="维修", description="楼道灯坏了", location=location,
                          contact_phone="13800001234", service_id=None, deadlines={}, local_day=DAY.date(), now=DAY)


async def _booked_home_visit(session: AsyncSession, conv: Conversation, address: str) -> None:
    slot = Slot(community_id=conv.community_id, service_id="bathing-assistance", day=DAY.date(), start_at=DAY,
                end_at=DAY + dt.timedelta(hours=1), capacity=4, booked=1)
    session.add(slot)
    await session.flush()
    session.add(Booking(number=f"YY{conv.id:011d}", community_id=conv.community_id, resident_id=conv.resident_id,
                        conversation_id=conv.id, service_id="bathing-assistance", slot_id=slot.id, people=1,
                        name="王秀兰", phone="13812345678", address=address))
    await session.flush()


async def _texts(session: AsyncSession, conv: Conversation) -> list[str]:
    stmt = select(Message.text).where(Message.conversation_id == conv.id).order_by(Message.id)
    return list((await session.execute(stmt)).scalars())


async def _outbox(session: AsyncSession, notice_id: int) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.notice_id == notice_id).order_by(Outbox.id)
    return list((await session.execute(stmt)).scalars())


def test_a_notice_reaches_every_resident_of_its_community_on_their_channel(any_database_url: str) -> None:
    async def body(session: AsyncSession) -> None:
        here = await ensure_community(session, "xingfu", "幸福社区")
        there = await ensure_community(session, "qinghe", "清河村")
        web_a, web_b = await _resident(session, here, "web", "a"), await _resident(session, here, "web", "b")
        tg = await _resident(session, here, "telegram", "4242")
        elsewhere = await _resident(session, there, "web", "c")
        notice = await notices.send_notice(session, await _staff(session, here), here, kind="water_power",
                                           text="明天9点到17点停水，请提前储水。")
        expected = "【幸福社区·停水停电】明天9点到17点停水，请提前储水。"
        for conv in (web_a, web_b, tg):
            assert (await _texts(session, conv))[-1].startswith(expected)
        assert await _texts(session, elsewhere) == []
        rows = await _outbox(session, notice.id)
        assert [(r.conversation_id, r.channel, r.status) for r in rows] == [(tg.id, "telegram", "pending")]
        assert (await notices.counts(session, [notice]))[notice.id] == notices.Counts(delivered=2, waiting=1)

    _in_db(any_database_url, body)


def test_a_resident_with_two_conversations_gets_it_once_in_the_latest(any_database_url: str) -> None:
    async def body(session: AsyncSession) -> None:
        here = await ensure_community(session, "xingfu", "幸福社区")
        old = await _resident(session, here, "web", "a")
        new = Conversation(token="second", resident_id=old.resident_id, identity_id=old.identity_id,
                           community_id=here.id, channel="web", state={})
        session.add(new)
        await session.flush()
        notice = await notices.send_notice(session, None, here, kind="activity", text="周六上午社区义诊。")
        assert await _texts(session, old) == []
        assert len(await _texts(session, new)) == 1
        assert (await notices.counts(session, [notice]))[notice.id].total == 1

    _in_db(any_database_url, body)


def test_stopped_notices_are_not_sent_but_an_urgent_warning_still_is(any_database_url: str) -> None:
    async def body(session: AsyncSession) -> None:
        here = await ensure_community(session, "xingfu", "幸福社区")
        keen, stopped = await _resident(session, here, "web", "a"), await _resident(session, here, "telegram", "7")
        await notices.set_notices_off(session, stopped.resident_id, True)
        ordinary = await notices.send_notice(session, None, here, kind="vaccination", text="周三接种流感疫苗。")
        assert (ordinary.in_chat, ordinary.opted_out, ordinary.urgent) == (1, 1, False)
        assert await _outbox(session, ordinary.id) == []
        assert "别再发通知了" in (await _texts(session, keen))[-1]

        typhoon = await notices.send_notice(session, None, here, kind="disaster", text="台风今晚登陆，请勿外出。")
        assert typhoon.urgent and typhoon.opted_out == 0
        rows = await _outbox(session, typhoon.id)
        assert [r.conversation_id for r in rows] == [stopped.id]
        assert rows[0].text.startswith("【紧急】【幸福社区·防灾预警】台风今晚登陆")
        assert "别再发通知了" not in rows[0].text  # stopping would not stop this kind, so it is not offered

        # Ticking 紧急 on an activity does not make it reach residents who stopped notices.
        party = await notices.send_notice(session, None, here, kind="activity", text="元旦联欢会。", urgent=True)
        assert not party.urgent and party.opted_out == 1
        # A water cut marked urgent does.
        burst = await notices.send_notice(session, None, here, kind="water_power", text="水管爆裂，马上停水。",
                                          urgent=True)
        assert burst.urgent and [r.conversation_id for r in await _outbox(session, burst.id)] == [stopped.id]

        await notices.set_notices_off(session, stopped.resident_id, False)
        again = await notices.send_notice(session, None, here, kind="activity", text="周日包饺子。")
        assert again.opted_out == 0 and len(await _outbox(session, again.id)) == 1

    _in_db(any_database_url, body)


def test_counts_follow_the_outbox_rows_as_the_sender_works_through_them(any_database_url: str) -> None:
    async def body(session: AsyncSession) -> None:
        here = await ensure_community(session, "xingfu", "幸福社区")
        await _resident(session, here, "web", "a")
        for name in ("1", "2", "3"):
            await _resident(session, here, "telegram", name)
        notice = await notices.send_notice(session, None, here, kind="water_power", text="周五停电检修。")
        assert (await notices.counts(session, [notice]))[notice.id] == notices.Counts(delivered=1, waiting=3)
        first, second, _ = await _outbox(session, notice.id)
        mark_sent(first)
        mark_failed(second, "Forbidden: bot was blocked by the user", retry_in=None, final=True)
        await session.flush()
        assert (await notices.counts(session, [notice]))[notice.id] == notices.Counts(delivered=2, waiting=1,
                                                                                       failed=1)

    _in_db(any_database_url, body)


def test_a_building_or_group_reaches_those_who_said_they_live_there(any_database_url: str) -> None:
    async def body(session: AsyncSession) -> None:
        here = await ensure_community(session, "xingfu", "幸福社区")
        in_three = await _resident(session, here, "web", "a")
        await _said_to_live_at(session, in_three, "幸福路8号三号楼2单元")
        in_thirteen = await _resident(session, here, "web", "b")
        await _said_to_live_at(session, in_thirteen, "13栋1单元")
        home_visit = await _resident(session, here, "telegram", "9")
        await _booked_home_visit(session, home_visit, "幸福路8号3栋502")
        unknown = await _resident(session, here, "web", "c")
        notice = await notices.send_notice(session, None, here, kind="water_power", text="3号楼明天停水。",
                                           area="3号楼")
        assert notice.area == "3号楼"
        assert len(await _texts(session, in_three)) == 1
        assert [r.conversation_id for r in await _outbox(session, notice.id)] == [home_visit.id]
        assert await _texts(session, in_thirteen) == [] and await _texts(session, unknown) == []

        village = await ensure_community(session, "qinghe", "清河村")
        second_group = await _resident(session, village, "web", "d")
        await _said_to_live_at(session, second_group, "清河村第二村民小组王家")
        third_group = await _resident(session, village, "web", "e")
        await _said_to_live_at(session, third_group, "清河村3组")
        grouped = await notices.send_notice(session, None, village, kind="vaccination", text="二组周四打疫苗。",
                                            area="二组")
        assert grouped.in_chat == 1 and len(await _texts(session, second_group)) == 1

    _in_db(any_database_url, body)


def test_places_are_matched_whatever_way_they_are_written() -> None:
    assert notices.names_area("幸福路8号3栋2单元", "三号楼")
    assert notices.names_area("幸福里 3 幢", "3号楼")
    assert not notices.names_area("13号楼", "3号楼")
    assert not notices.names_area("幸福路8号", "8号楼")  # a street number is not a building
    assert notices.names_area("清河村第十二村民小组", "12组")
    assert not notices.names_area("清河村十三组", "3组")


def test_an_unknown_kind_or_an_overlong_text_is_refused(database_url: str) -> None:
    from bot.errors import InvalidInput

    async def body(session: AsyncSession) -> list[str]:
        here = await ensure_community(session, "xingfu", "幸福社区")
        refused = []
        for kind, text in (("lottery", "中奖了"), ("activity", "长" * (notices.MAX_TEXT + 1)), ("activity", "  ")):
            try:
                await notices.send_notice(session, None, here, kind=kind, text=text)
            except InvalidInput:
                refused.append(kind)
        return refused

    assert _in_db(database_url, body) == ["lottery", "activity", "activity"]
