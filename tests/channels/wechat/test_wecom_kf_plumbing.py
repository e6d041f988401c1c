"""WeCom customer service: the callback's checks, reading with a stored cursor, menus, handoff, pushes."""

from __future__ import annotations

import xmltodict
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from bot.backend.models import Conversation
from bot.backend.outbox import notify
from bot.backend.residents import find_identity
from bot.channels.wechat.kf import CustomerService
from tests.channels.wechat.conftest import AES_KEY, KF_TOKEN, OPEN_KFID, STAMP, Harness
from tests.channels.wechat.fake_wechat_api import CORP_ID
from tests.conftest import db_rows


async def test_callback_verification_returns_the_decrypted_echo(plumbing: Harness) -> None:
    crypto = WeComCrypto(KF_TOKEN, AES_KEY, CORP_ID)
    enc = xmltodict.parse(crypto.encrypt_message("echo-3141", "7", STAMP))["xml"]
    ok = await plumbing.client.get("/wecom/kf", params={
        "msg_signature": enc["MsgSignature"], "timestamp": STAMP, "nonce": "7", "echostr": enc["Encrypt"]})
    assert ok.status_code == 200 and ok.text == "echo-3141"
    forged = await plumbing.client.get("/wecom/kf", params={
        "msg_signature": "0" * 40, "timestamp": STAMP, "nonce": "7", "echostr": enc["Encrypt"]})
    assert forged.status_code == 403


async def test_a_forged_event_is_refused_and_nothing_is_read(plumbing: Harness) -> None:
    c = plumbing.customer()
    plumbing.fake.add_kf_message({"msgid": "x1", "open_kfid": OPEN_KFID, "external_userid": c.user,
                                  "origin": 3, "msgtype": "text", "text": {"content": "/greet"}})
    body = WeComCrypto(KF_TOKEN, AES_KEY, CORP_ID).encrypt_message("<xml><Event>kf_msg_or_event</Event></xml>", "1")
    r = await plumbing.client.post("/wecom/kf", content=body,
                                   params={"msg_signature": "0" * 40, "timestamp": STAMP, "nonce": "1"})
    assert r.status_code == 403
    bad = await plumbing.client.post("/wecom/kf", content=b"<xml><Encrypt>",
                                     params={"msg_signature": "0" * 40, "timestamp": STAMP, "nonce": "1"})
    assert bad.status_code in (400, 403)
    assert plumbing.fake.sent("kf/sync_msg") == []


async def test_entering_the_session_brings_the_welcome_as_a_menu(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.send("event", {"event_type": "enter_session", "open_kfid": OPEN_KFID, "external_userid": c.user},
                 origin=4)
    assert c.menu, c.last
    assert c.last[-1]["open_kfid"] == OPEN_KFID


async def test_a_tapped_menu_item_sends_its_payload(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    human = [t for t in c.menu if "人工" in t]
    assert human, c.menu
    await c.press(human[0])
    assert "工作人员" in c.text
    assert db_rows(plumbing.database_url, "SELECT reason FROM escalations") == [("requested",)]


async def test_messages_are_read_once_from_the_stored_cursor_across_restarts(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    await c.say("/request_human")
    answered = len(c.received())
    assert db_rows(plumbing.database_url, "SELECT open_kfid, cursor FROM kf_sync_cursors") == [(OPEN_KFID, "2")]
    await plumbing.kf_event()  # nothing new: nothing answered again
    assert len(c.received()) == answered
    restarted = CustomerService(plumbing.runtime, plumbing.service.kf.api)  # a new process, the same database
    assert await restarted.sync(OPEN_KFID) == 0
    assert [b["cursor"] for b in plumbing.fake.sent("kf/sync_msg")][-1] == "2"
    assert len(c.received()) == answered
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(2,)]


async def test_an_escalated_conversation_is_handed_to_the_human_agents_once(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/request_human")
    await c.say("还有人吗")
    assert [b["service_state"] for b in plumbing.fake.sent("kf/service_state/trans")] == [2]
    assert plumbing.fake.sent("kf/service_state/trans")[0]["external_userid"] == c.user


async def test_staff_reply_is_pushed_once_with_send_msg(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    before = len(c.received())
    async with plumbing.runtime.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "wecom", c.user)
        assert identity is not None and identity.chat_id == OPEN_KFID
        conv = await session.get(Conversation, 1)
        assert conv is not None
        await notify(session, conv, "您好，我是社区小张。", kind="staff_reply", sender="staff")
    assert await plumbing.service.kf_sender.tick() == 1
    assert await plumbing.service.kf_sender.tick() == 0
    assert c.received()[before:] == [{"touser": c.user, "open_kfid": OPEN_KFID, "msgtype": "text",
                                      "text": {"content": "您好，我是社区小张。"}}]


async def test_an_expired_token_is_refreshed_and_the_reply_still_sent(plumbing: Harness) -> None:
    c = plumbing.customer()
    await c.say("/greet")
    plumbing.fake.expire_token("kf")
    await c.say("/request_human")
    assert "工作人员" in c.text
    assert plumbing.fake.token_fetches["kf"] == 2


async def test_a_reply_wecom_refuses_waits_in_the_outbox(plumbing: Harness) -> None:
    c = plumbing.customer()
    plumbing.fake.fail("kf/send_msg", 95018, times=1)
    await c.say("/request_human")
    assert c.last == []
    rows = db_rows(plumbing.database_url, "SELECT status, last_error FROM outbox")
    assert rows and rows[0][0] == "pending" and "95018" in rows[0][1]
