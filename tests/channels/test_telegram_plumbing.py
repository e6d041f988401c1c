"""Telegram plumbing against the fake Bot API: menus, buttons, retries, blocking, repeats, floods."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.backend.db import sync_url
from tests.channels.conftest import Harness
from tests.channels.fake_bot_api import BOT_ID, BOT_USERNAME
from tests.conftest import db_rows

MENU = ["办事咨询", "预约服务", "报修投诉", "查询进度", "转人工"]


def _url(h: Harness) -> str:
    return h.service.runtime.settings.database_url


async def test_start_greets_with_the_main_menu_as_inline_buttons(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/start")
    assert "社区助手" in r.text
    assert r.buttons == MENU
    data = [b["callback_data"] for row in r.last[0].params["reply_markup"]["inline_keyboard"] for b in row]
    assert "/request_human" in data
    assert {"getMe", "deleteWebhook"} <= set(plumbing.fake.methods())


async def test_help_lists_the_commands(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/help")
    assert "/human" in r.text and "/elder" in r.text


async def test_button_press_is_answered_marked_and_sent_as_the_next_message(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/start")
    await r.press("转人工")
    assert plumbing.fake.sent(method="answerCallbackQuery")
    edits = plumbing.fake.sent(r.chat_id, "editMessageText")
    assert edits and "您选择了：转人工" in edits[-1].params["text"]
    assert "工作人员" in r.text
    assert db_rows(_url(plumbing), "SELECT reason FROM escalations") == [("requested",)]
    await r.say("/human")  # while staff have the conversation the assistant stays quiet
    assert r.last == []


async def test_redelivered_update_is_processed_once(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/start")
    update = r.last_update
    await plumbing.deliver(update, redeliver=True, times=2)
    assert len(plumbing.fake.sent(r.chat_id)) == 1
    # After a restart the channel's memory is empty; the engine still refuses the repeat.
    from telegram import Update

    from bot.channels.telegram.application import TelegramService

    fresh = TelegramService(plumbing.service.runtime, polling=False)
    await fresh.application.initialize()
    await fresh.application.process_update(Update.de_json(update, fresh.application.bot))
    await fresh.application.shutdown()
    assert len(plumbing.fake.sent(r.chat_id)) == 1
    assert db_rows(_url(plumbing), "SELECT count(*) FROM messages WHERE direction = 'in'") == [(1,)]


async def test_blocked_bot_marks_the_identity_inactive(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/start")
    plumbing.fake.fail(r.chat_id, 403)
    await r.say("/help")
    rows = db_rows(_url(plumbing), "SELECT external_id, active FROM channel_identities")
    assert [(e, bool(a)) for e, a in rows] == [(str(r.user_id), False)]
    await r.say("/start")  # writing again means they unblocked us
    assert db_rows(_url(plumbing), "SELECT active FROM channel_identities") == [(1,)]


async def test_flood_wait_and_network_errors_are_retried(plumbing: Harness) -> None:
    r = plumbing.resident()
    plumbing.fake.fail(r.chat_id, 429, retry_after=1)
    plumbing.fake.fail(r.chat_id, 502)
    await r.say("/help")
    assert len(r.last) == 3 and "/elder" in r.last[-1].params["text"]


async def test_a_flood_from_one_resident_gets_one_polite_line(plumbing: Harness) -> None:
    plumbing.service.channel.flood.limit = 3
    r = plumbing.resident()
    replies = [await r.say("/help") for _ in range(6)]
    assert [len(x) for x in replies] == [1, 1, 1, 1, 0, 0]
    assert "稍等" in replies[3][0].params["text"]


async def test_in_groups_only_mentions_and_replies_are_answered(plumbing: Harness) -> None:
    group = -100123
    r = plumbing.resident(chat_id=group)
    await r.send(text="今天菜市场开门吗", chat_type="supergroup")
    assert r.last == []
    mention = f"@{BOT_USERNAME} /greet"
    await r.send(
        text=mention,
        chat_type="supergroup",
        entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
    )
    assert r.buttons == MENU
    bot_message = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": group, "type": "supergroup"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "邻里"},
        "text": "您好",
    }
    await r.send(text="/greet", chat_type="supergroup", reply_to_message=bot_message)
    assert r.buttons == MENU


async def test_elderly_mode_uses_big_reply_buttons_and_keeps_human_handy(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.say("/elder")
    assert "大字" in r.text
    assert r.keyboard == [["办事咨询", "预约服务"], ["报修投诉", "查询进度"], ["转人工"]]
    assert db_rows(_url(plumbing), "SELECT elderly_mode FROM residents") == [(1,)]
    await r.say("/help")
    assert r.keyboard == [] and r.buttons == []
    await r.say("转人工")  # a tap on the reply keyboard sends the title; it means the payload
    assert "工作人员" in r.text
    await r.say("/elder")
    assert db_rows(_url(plumbing), "SELECT elderly_mode FROM residents") == [(0,)]
    assert r.last[0].params["reply_markup"] == {"remove_keyboard": True}


async def test_elderly_mode_switched_through_another_worker_shows_at_once(plumbing: Harness) -> None:
    """Another worker (or the console) turns elderly mode on: this process's next reply has the big buttons."""
    r = plumbing.resident()
    await r.say("/greet")
    assert r.buttons == MENU and r.keyboard == []
    engine = sa.create_engine(sync_url(_url(plumbing)))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE residents SET elderly_mode = :on"), {"on": True})
    engine.dispose()
    await r.say("/greet")
    assert r.keyboard == [["办事咨询", "预约服务"], ["报修投诉", "查询进度"], ["转人工"]] and r.buttons == []
    await r.say("查询进度")  # the tapped title is turned back into its payload, read from the stored buttons
    assert "没有查到您提交过的报修" in r.text, r.text  # the status check; unmapped text would not be understood


async def test_stickers_and_voice_notes_get_a_helpful_line(plumbing: Harness) -> None:
    r = plumbing.resident()
    await r.send(
        sticker={
            "file_id": "st1",
            "file_unique_id": "st1u",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    )
    assert "文字" in r.text
    voice: dict[str, Any] = {
        "file_id": "voice-1",
        "file_unique_id": "v1",
        "duration": 3,
        "mime_type": "audio/ogg",
    }
    await r.send(voice=voice)
    assert "语音输入" in r.text
    channel = plumbing.service.channel
    channel.settings = channel.settings.model_copy(update={"speech_to_text_url": f"{plumbing.fake.url}/stt"})
    plumbing.fake.files["voice-1"] = b"OggS-fake-audio"
    plumbing.fake.transcript = "/greet"
    await r.send(voice=voice)
    assert r.buttons == MENU
    assert "getFile" in plumbing.fake.methods()


async def test_long_payloads_travel_as_keys_and_survive_a_restart(plumbing: Harness) -> None:
    from bot.backend.outbox import notify
    from bot.backend.residents import find_identity, latest_conversation
    from bot.channels.telegram.buttons import ButtonMemory

    r = plumbing.resident()
    await r.say("/start")
    long_payload = '/rate_service{"rating":5,"ticket_id":"YY20260101001","comment":"' + "很好" * 20 + '"}'
    runtime = plumbing.service.runtime
    async with runtime.sessionmaker() as session, session.begin():
        identity = await find_identity(session, "telegram", str(r.user_id))
        assert identity is not None
        conv = await latest_conversation(session, identity)
        assert conv is not None
        await notify(
            session,
            conv,
            "请打分：",
            kind="rating_request",
            buttons=[{"title": "非常满意", "payload": long_payload}],
        )
    before = r.received
    assert await plumbing.service.sender.tick() == 1
    assert r.pushed(before)[0].params["text"] == "请打分："
    await r.press("非常满意")
    key = plumbing.fake.sent(method="answerCallbackQuery")[-1]
    assert key
    data = r.last_update["callback_query"]["data"]
    assert data.startswith("#") and len(data.encode()) <= 64
    assert await ButtonMemory(runtime.sessionmaker).payload_for_callback(str(r.user_id), data) == long_payload
    assert db_rows(_url(plumbing), "SELECT score FROM ratings") == [(5,)]
