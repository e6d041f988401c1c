"""WeCom customer service pushes within WeCom's rules: 5 messages in the 48 hours after the customer's last
message, the session returned to the assistant on a hand-back, console replies while WeCom's agents have it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.backend import staff_actions
from bot.backend.models import Conversation, Escalation
from bot.backend.outbox import notify
from bot.backend.staff import create_staff
from bot.channels.sender import OutboxSender
from bot.channels.wechat.kf_push import KfPush
from tests.channels.conftest import FindsNothing, UnderstandsNothing
from tests.channels.wechat.conftest import OPEN_KFID, Harness, KfCustomer, start, stop, wechat_settings
from tests.channels.wechat.fake_wechat_api import FakeWeChatApi
from tests.channels.wechat.test_wechat_mp_plumbing import _age_messages
from tests.conftest import FixedClock, _base_settings, db_rows

LIMIT_REACHED = "企业微信客服限制：居民发消息后48小时内最多推送5条，已用完；居民再次发消息后才能推送"
WITH_AGENT = "这位居民的企业微信会话已转给企业微信的接待人员，接口无法推送，请在企业微信客户端回复"


async def _staff_reply(h: Harness, text: str) -> None:
    async with h.runtime.sessionmaker() as session, session.begin():
        conv = (await session.execute(select(Conversation).order_by(Conversation.id.desc()).limit(1))).scalar_one()
        await notify(session, conv, text, kind="staff_reply", sender="staff")


async def _hand_back(h: Harness) -> None:
    """Staff release the escalation, as the console's and the staff API's buttons do."""
    async with h.runtime.sessionmaker() as session, session.begin():
        staff = await create_staff(session, "zhang", "correct-horse-battery", community=None, role="admin")
        esc = (await session.execute(select(Escalation))).scalar_one()
        await staff_actions.hand_back(session, esc, staff)


def _outbox(h: Harness) -> list[tuple[str, str, str | None]]:
    return [(str(t), str(s), e) for t, s, e in
            db_rows(h.database_url, "SELECT text, status, last_error FROM outbox ORDER BY id")]


async def test_at_most_five_messages_reach_the_customer_until_they_write_again(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    answered = len(c.received())
    assert 0 < answered < 5, c.last
    for n in range(1, 7):
        await _staff_reply(plumbing, f"第{n}条通知")
    await plumbing.service.kf_sender.tick()
    allowed = 5 - answered
    assert [m["text"]["content"] for m in c.received()[answered:]] == [f"第{n}条通知" for n in range(1, allowed + 1)]
    assert plumbing.fake.refused == [], "nothing was tried beyond WeCom's limit"
    rows = _outbox(plumbing)
    assert [s for _, s, _ in rows] == ["sent"] * allowed + ["failed"] * (6 - allowed), "failed at once, not retried"
    assert {e for _, s, e in rows if s == "failed"} == {LIMIT_REACHED}
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]

    # Another process counts from the same database: still nothing beyond the limit.
    other = OutboxSender(plumbing.runtime, KfPush(plumbing.runtime, plumbing.service.kf.api), channel="wecom")
    await _staff_reply(plumbing, "还有一条")
    assert await other.tick() == 0
    assert plumbing.fake.refused == [] and len(c.received()) == 5

    # The customer writes again: the count starts over.
    await c.say("好的")
    await _staff_reply(plumbing, "收到您的回复了")
    assert await plumbing.service.kf_sender.tick() == 1
    assert c.received()[-1]["text"]["content"] == "收到您的回复了"


async def test_a_long_push_that_would_pass_the_limit_is_held_back_whole(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    answered = len(c.received())
    for n in range(5 - answered - 1):
        await _staff_reply(plumbing, f"短通知{n}")
    await plumbing.service.kf_sender.tick()
    assert len(c.received()) == 4
    await _staff_reply(plumbing, "很长的通知。" * 400)  # three messages of at most 2048 bytes
    assert await plumbing.service.kf_sender.tick() == 0
    assert len(c.received()) == 4, "no half of a message"
    assert _outbox(plumbing)[-1][1:] == ("failed", LIMIT_REACHED)


async def test_after_48_hours_nothing_is_pushed_and_staff_see_why(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    answered = len(c.received())
    _age_messages(plumbing)
    await _staff_reply(plumbing, "您好，您反映的问题已处理。")
    assert await plumbing.service.kf_sender.tick() == 0
    assert len(c.received()) == answered and plumbing.fake.refused == []
    assert _outbox(plumbing) == [("您好，您反映的问题已处理。", "failed", "超过48小时客服窗口，无法主动推送")]
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]


async def test_wecom_refusing_for_its_own_count_fails_the_push_at_once(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    plumbing.fake.expire_window(OPEN_KFID, c.user)  # WeCom's 48 hours ran out before the database's
    await _staff_reply(plumbing, "您好。")
    assert await plumbing.service.kf_sender.tick() == 0
    assert [b["touser"] for b in (r.body for r in plumbing.fake.refused)] == [c.user]
    assert _outbox(plumbing) == [("您好。", "failed", "超过48小时客服窗口，无法主动推送")]
    plumbing.fake.fail("kf/send_msg", 95001)
    await _staff_reply(plumbing, "第二条")
    assert await plumbing.service.kf_sender.tick() == 0
    assert _outbox(plumbing)[-1] == ("第二条", "failed", LIMIT_REACHED)


async def _escalated(h: Harness) -> KfCustomer:
    c = h.customer()
    await c.say("/request_human")
    assert h.fake.state_of(OPEN_KFID, c.user) == 2
    assert db_rows(h.database_url, "SELECT status FROM conversations") == [("handoff",)]
    return c


async def test_handing_back_returns_the_wecom_session_to_the_assistant(plumbing: Harness) -> None:
    c = await _escalated(plumbing)
    await _hand_back(plumbing)
    assert await plumbing.service.kf_sender.tick() == 1
    assert plumbing.fake.state_of(OPEN_KFID, c.user) == 1
    assert c.received()[-1]["text"]["content"] == staff_actions.HANDED_BACK
    await c.say("/greet")
    assert c.menu, "the assistant answers again"


async def test_handing_back_a_session_a_wecom_agent_took_ends_it_and_says_why(plumbing: Harness) -> None:
    c = await _escalated(plumbing)
    plumbing.fake.service_state[f"{OPEN_KFID}/{c.user}"] = 3  # an agent took it in WeCom
    answered = len(c.received())
    await _hand_back(plumbing)
    assert await plumbing.service.kf_sender.tick() == 0
    # WeCom does not let an agent's session go to the assistant: it is ended instead.
    assert [b["service_state"] for b in plumbing.fake.sent("kf/service_state/trans")] == [2, 4]
    assert len(c.received()) == answered and plumbing.fake.sent("kf/send_msg")[-1]["touser"] == c.user
    assert _outbox(plumbing) == [(staff_actions.HANDED_BACK, "failed", "企业微信会话已结束，居民再次发消息后才能推送")]
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]
    await c.say("/greet")  # a new session: the assistant answers it
    assert c.menu and plumbing.fake.state_of(OPEN_KFID, c.user) == 0


async def test_a_console_reply_to_a_session_waiting_for_wecom_agents_reaches_the_customer(
        plumbing: Harness) -> None:
    c = await _escalated(plumbing)
    await _staff_reply(plumbing, "您好，我是社区小张，您的问题我来处理。")
    assert await plumbing.service.kf_sender.tick() == 1
    assert c.received()[-1]["text"]["content"] == "您好，我是社区小张，您的问题我来处理。"
    assert plumbing.fake.state_of(OPEN_KFID, c.user) == 1, "the replying staff member took it from the queue"


async def test_a_console_reply_while_a_wecom_agent_has_the_session_fails_with_the_reason(plumbing: Harness) -> None:
    c = await _escalated(plumbing)
    plumbing.fake.service_state[f"{OPEN_KFID}/{c.user}"] = 3
    answered = len(c.received())
    await _staff_reply(plumbing, "您好，我是社区小张。")
    assert await plumbing.service.kf_sender.tick() == 0
    assert len(c.received()) == answered and plumbing.fake.state_of(OPEN_KFID, c.user) == 3
    assert _outbox(plumbing) == [("您好，我是社区小张。", "failed", WITH_AGENT)]
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]


async def test_a_queued_session_wecom_will_not_give_back_fails_with_the_reason(plumbing: Harness) -> None:
    c = await _escalated(plumbing)
    plumbing.fake.transitions[2] = frozenset({3})  # WeCom's own table: a waiting session goes to an agent only
    await _staff_reply(plumbing, "您好，我是社区小张。")
    assert await plumbing.service.kf_sender.tick() == 0
    assert plumbing.fake.state_of(OPEN_KFID, c.user) == 2
    assert _outbox(plumbing) == [("您好，我是社区小张。", "failed", WITH_AGENT)]


async def test_a_session_that_changed_between_the_check_and_the_send_fails_with_the_reason(
        plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    plumbing.fake.fail("kf/send_msg", 95018)
    await _staff_reply(plumbing, "您好。")
    assert await plumbing.service.kf_sender.tick() == 0
    [(text, status, error)] = _outbox(plumbing)
    assert status == "failed" and "请在企业微信客户端回复" in str(error)
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]


@pytest.fixture
async def plumbing_any(any_database_url: str, tmp_path: Path, fake_wechat: FakeWeChatApi,
                       clock: FixedClock) -> AsyncIterator[Harness]:
    """The plumbing harness on SQLite and on PostgreSQL."""
    settings = wechat_settings(_base_settings(database_url=any_database_url, model_dir=tmp_path / "models"),
                               fake_wechat)
    h, _ = await start(settings, fake_wechat, UnderstandsNothing(), FindsNothing(), clock)
    yield h
    await stop(h)


async def test_the_count_holds_on_both_databases(plumbing_any: Harness) -> None:
    c = plumbing_any.customer()
    await c.say("/greet")
    answered = len(c.received())
    for n in range(6):
        await _staff_reply(plumbing_any, f"通知{n}")
    await plumbing_any.service.kf_sender.tick()
    assert len(c.received()) == 5 and plumbing_any.fake.refused == []
    assert [s for _, s, _ in _outbox(plumbing_any)] == ["sent"] * (5 - answered) + ["failed"] * (1 + answered)
