"""The Official Account's callback: checks, safe mode, events, voice, retries, and pushes through the outbox."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bot.backend.models import Conversation
from bot.backend.outbox import notify
from bot.backend.residents import find_identity
from bot.channels.wechat.texts import text
from tests.channels.wechat.conftest import AES_KEY, MP_TOKEN, STAMP, Harness, sign, start, stop
from tests.channels.wechat.fake_wechat_api import FakeWeChatApi
from tests.conftest import FixedClock, db_rows


async def _staff_reply(h: Harness, openid: str, body: str) -> int:
    async with h.runtime.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "wechat", openid)
        assert identity is not None
        conv = (await session.execute(
            Conversation.__table__.select().where(Conversation.identity_id == identity.id))).first()
        assert conv is not None
        conversation = await session.get(Conversation, conv.id)
        assert conversation is not None
        await notify(session, conversation, body, kind="staff_reply", sender="staff")
        return conversation.id


async def test_server_verification_echoes_only_when_signed(plumbing: Harness) -> None:
    ok = await plumbing.client.get("/wechat/mp", params={
        "signature": sign(MP_TOKEN, STAMP, "42"), "timestamp": STAMP, "nonce": "42", "echostr": "echo-7781"})
    assert ok.status_code == 200 and ok.text == "echo-7781"
    forged = await plumbing.client.get("/wechat/mp", params={
        "signature": sign("guessed", STAMP, "42"), "timestamp": STAMP, "nonce": "42", "echostr": "echo-7781"})
    assert forged.status_code == 403 and "echo" not in forged.text


async def test_forged_message_is_refused_and_its_body_never_logged(
        plumbing: Harness, caplog: pytest.LogCaptureFixture) -> None:
    f = plumbing.follower()
    caplog.set_level(logging.INFO)
    r = await plumbing.client.post("/wechat/mp", content=f.xml("text", "<Content>我的电话13912345678</Content>", 1),
                                   params={"signature": "0" * 40, "timestamp": STAMP, "nonce": "1"})
    assert r.status_code == 403
    assert "bad signature" in caplog.text and "13912345678" not in caplog.text and f.openid not in caplog.text
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM messages") == [(0,)]


@pytest.mark.parametrize("body", [b"<xml><Content>", b"not xml at all", b"<xml></xml>", b"\xff\xfe<xml/>"])
async def test_signed_but_broken_xml_is_a_bad_request(plumbing: Harness, body: bytes) -> None:
    r = await plumbing.client.post("/wechat/mp", content=body,
                                   params={"signature": sign(MP_TOKEN, STAMP, "9"), "timestamp": STAMP, "nonce": "9"})
    assert r.status_code == 400


async def test_following_brings_the_welcome_with_numbered_choices(plumbing: Harness) -> None:
    f = plumbing.follower()
    said = await f.event("subscribe")
    assert "1." in said and "2." in said, said
    assert db_rows(plumbing.database_url, "SELECT channel, external_id, chat_id FROM channel_identities") == [
        ("wechat", f.openid, f.openid)]


async def test_a_menu_click_is_the_intent_its_key_names(plumbing: Harness) -> None:
    f = plumbing.follower()
    said = await f.event("CLICK", "/request_human")
    assert "工作人员" in said
    assert db_rows(plumbing.database_url, "SELECT reason FROM escalations") == [("requested",)]


async def test_voice_without_recognition_is_asked_again_kindly(plumbing: Harness) -> None:
    f = plumbing.follower()
    assert await f.speak("") == text("voice_unheard")
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM messages") == [(0,)]


async def test_a_retried_delivery_is_answered_once(plumbing: Harness) -> None:
    f = plumbing.follower()
    first = await f.say("/request_human", msg_id=555001)
    again = await f.say("/request_human", msg_id=555001)
    assert first == again and "工作人员" in first
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM escalations") == [(1,)]


async def test_an_event_retried_is_answered_once(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("subscribe")
    await f.event("subscribe")  # the same CreateTime: WeChat's retry of the same event
    assert db_rows(plumbing.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]


async def test_staff_reply_is_pushed_once_through_the_customer_service_api(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("CLICK", "/request_human")
    await _staff_reply(plumbing, f.openid, "您好，我是社区小张，马上安排。")
    sender = plumbing.service.mp_sender
    assert await sender.tick() == 1
    assert await sender.tick() == 0
    assert plumbing.fake.sent("message/custom/send") == [
        {"touser": f.openid, "msgtype": "text", "text": {"content": "您好，我是社区小张，马上安排。"}}]


async def test_pushed_choices_are_numbered_and_a_number_picks_one(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("subscribe")
    async with plumbing.runtime.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "wechat", f.openid)
        assert identity is not None
        conv = await session.get(Conversation, 1)
        assert conv is not None
        await notify(session, conv, "您的诉求已办结，请打个分：", kind="rating_request",
                     buttons=[{"title": "满意", "payload": "/request_human"},
                              {"title": "不满意", "payload": "/greet"}])
    await plumbing.service.mp_sender.tick()
    [pushed] = plumbing.fake.sent("message/custom/send")
    assert "1. 满意" in pushed["text"]["content"] and "2. 不满意" in pushed["text"]["content"]
    assert "工作人员" in await f.say("1")


async def test_a_long_push_is_split_at_sentence_ends_within_2048_bytes(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("subscribe")
    long = "您好，这是社区关于本周停水安排的详细通知，请您留意。" * 60
    await _staff_reply(plumbing, f.openid, long)
    await plumbing.service.mp_sender.tick()
    parts = [b["text"]["content"] for b in plumbing.fake.sent("message/custom/send")]
    assert len(parts) >= 2 and "".join(parts) == long
    assert all(len(p.encode()) <= 2048 and p.endswith("。") for p in parts)


async def test_an_expired_access_token_is_refreshed_once_and_the_push_goes_through(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("subscribe")
    await _staff_reply(plumbing, f.openid, "第一条")
    await plumbing.service.mp_sender.tick()
    plumbing.fake.expire_token("mp")
    await _staff_reply(plumbing, f.openid, "第二条")
    assert await plumbing.service.mp_sender.tick() == 1
    assert [b["text"]["content"] for b in plumbing.fake.sent("message/custom/send")] == ["第一条", "第二条"]
    assert plumbing.fake.token_fetches["mp"] == 2
    [(token,)] = db_rows(plumbing.database_url, "SELECT token FROM access_tokens WHERE app LIKE 'wechat-mp:%'")
    assert token == plumbing.fake.current["mp"]


async def test_window_closed_without_template_fails_with_a_line_staff_can_read(plumbing: Harness) -> None:
    f = plumbing.follower()
    await f.event("subscribe")
    _age_messages(plumbing)
    await _staff_reply(plumbing, f.openid, "您好，您反映的问题已处理。")
    assert await plumbing.service.mp_sender.tick() == 0
    assert plumbing.fake.sent("message/custom/send") == []
    assert db_rows(plumbing.database_url, "SELECT status, last_error FROM outbox") == [
        ("failed", "超过48小时客服窗口，无法主动推送")], "failed at once: retrying cannot reopen the window"
    assert db_rows(plumbing.database_url, "SELECT active FROM channel_identities") == [(1,)]


async def test_window_closed_goes_through_the_template_message(
        plumbing_settings: object, fake_wechat: FakeWeChatApi, clock: FixedClock) -> None:
    settings = plumbing_settings.model_copy(update={"wechat_mp_template_id": "TPL-linli-notice"})  # type: ignore[attr-defined]
    from tests.channels.conftest import FindsNothing, UnderstandsNothing

    h, _ = await start(settings, fake_wechat, UnderstandsNothing(), FindsNothing(), clock)
    try:
        f = h.follower()
        await f.event("subscribe")
        _age_messages(h)
        await _staff_reply(h, f.openid, "您好，您反映的问题已处理。")
        assert await h.service.mp_sender.tick() == 1
        assert h.fake.sent("message/custom/send") == []
        [sent] = h.fake.sent("message/template/send")
        assert sent["touser"] == f.openid and sent["template_id"] == "TPL-linli-notice"
        assert sent["data"]["content"]["value"] == "您好，您反映的问题已处理。"
    finally:
        await stop(h)


async def test_safe_mode_round_trip(plumbing_settings: object, fake_wechat: FakeWeChatApi, clock: FixedClock) -> None:
    settings = plumbing_settings.model_copy(update={"wechat_mp_aes_key": SecretStr(AES_KEY)})  # type: ignore[attr-defined]
    from tests.channels.conftest import FindsNothing, UnderstandsNothing

    h, _ = await start(settings, fake_wechat, UnderstandsNothing(), FindsNothing(), clock)
    try:
        f = h.follower(encrypted=True)
        r = await f.post(f.xml("event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[/request_human]]>"
                                        "</EventKey>", None))
        assert r.status_code == 200 and "<Encrypt>" in r.text and "工作人员" not in r.text
        assert "工作人员" in f.read(r.text)
        # Signed as a plain message, but the encrypted body's msg_signature is forged: refused.
        r = await h.client.post("/wechat/mp", content=f.xml("text", "<Encrypt>AAAA</Encrypt>", 98).encode(), params={
            "signature": sign(MP_TOKEN, STAMP, "5"), "timestamp": STAMP, "nonce": "5", "encrypt_type": "aes",
            "msg_signature": "0" * 40})
        assert r.status_code == 403
        assert db_rows(h.database_url, "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]
    finally:
        await stop(h)


async def test_without_tokens_the_callbacks_are_not_mounted(
        database_url: str, tmp_path: object, fake_wechat: FakeWeChatApi, clock: FixedClock) -> None:
    from pathlib import Path

    from tests.channels.conftest import FindsNothing, UnderstandsNothing
    from tests.conftest import _base_settings

    settings = _base_settings(database_url=database_url, model_dir=Path(str(tmp_path)) / "m")
    from bot.api.app import create_app
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, nlu=UnderstandsNothing(), retriever=FindsNothing(), clock=clock)  # type: ignore[arg-type]
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://t") as c:
        assert (await c.get("/wechat/mp")).status_code in (404, 405)
        assert (await c.post("/wecom/kf")).status_code in (404, 405)
    await runtime.close()


def _age_messages(h: Harness) -> None:
    """The resident last wrote long before the 48-hour window (a fixed date: no clock is read)."""
    import sqlalchemy as sa

    from bot.backend.db import sync_url

    engine = sa.create_engine(sync_url(h.database_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE messages SET created_at = '2000-01-01 00:00:00.000000'"))
    engine.dispose()
