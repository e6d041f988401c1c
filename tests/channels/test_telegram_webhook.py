"""Webhook mode: Telegram posts updates to the HTTP app, proven by the secret header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.config import Settings
from tests.channels.conftest import WEBHOOK_SECRET, FindsNothing, UnderstandsNothing
from tests.channels.fake_bot_api import FakeBotApi, message_update
from tests.conftest import FixedClock, db_rows, make_live

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def webhook(plumbing_settings: Settings, clock: FixedClock) -> Iterator[httpx.Client]:
    """The HTTP app with the Telegram webhook, registering itself with the fake Bot API."""
    settings = plumbing_settings.model_copy(
        update={"telegram_webhook_url": "https://linli.example/telegram/webhook"}
    )
    server, _ = make_live(settings, UnderstandsNothing(), FindsNothing(), clock=clock)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def _start(fake: FakeBotApi, user_id: int = 424242) -> dict[str, Any]:
    return message_update(fake.next_update_id(), user_id, text="/start")


def test_start_up_sets_the_webhook_with_the_secret(webhook: httpx.Client, fake_api: FakeBotApi) -> None:
    [call] = fake_api.sent(method="setWebhook")
    assert call.params["url"] == "https://linli.example/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET


def test_update_with_the_right_secret_is_answered(webhook: httpx.Client, fake_api: FakeBotApi) -> None:
    r = webhook.post("/telegram/webhook", json=_start(fake_api), headers={HEADER: WEBHOOK_SECRET})
    assert r.status_code == 200
    [reply] = fake_api.sent(424242)
    assert "社区助手" in reply.params["text"]


@pytest.mark.parametrize(("headers", "status"), [({HEADER: "wrong-secret"}, 403), ({}, 401)])
def test_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    webhook: httpx.Client,
    fake_api: FakeBotApi,
    plumbing_settings: Settings,
    headers: dict[str, str],
    status: int,
) -> None:
    r = webhook.post("/telegram/webhook", json=_start(fake_api), headers=headers)
    assert r.status_code == status
    assert fake_api.sent() == []
    assert db_rows(plumbing_settings.database_url, "SELECT count(*) FROM messages") == [(0,)]


def test_redelivered_webhook_update_is_answered_once(webhook: httpx.Client, fake_api: FakeBotApi) -> None:
    update = _start(fake_api)
    for _ in range(2):
        assert (
            webhook.post("/telegram/webhook", json=update, headers={HEADER: WEBHOOK_SECRET}).status_code
            == 200
        )
    assert len(fake_api.sent(424242)) == 1


def test_without_a_token_there_is_no_webhook(plumbing_settings: Settings, clock: FixedClock) -> None:
    settings = plumbing_settings.model_copy(update={"telegram_bot_token": None})
    server, _ = make_live(settings, UnderstandsNothing(), FindsNothing(), clock=clock)
    try:
        assert httpx.post(f"{server.url}/telegram/webhook", json={}).status_code in (404, 405)
    finally:
        server.stop()


def test_with_a_token_but_no_webhook_address_the_server_polls(
    plumbing_settings: Settings, fake_api: FakeBotApi, clock: FixedClock
) -> None:
    """`make run` on a laptop: setting the token is enough, the bot fetches updates itself."""
    import time

    fake_api.push(_start(fake_api, 515151))
    server, _ = make_live(plumbing_settings, UnderstandsNothing(), FindsNothing(), clock=clock)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not fake_api.sent(515151):
            time.sleep(0.1)
        assert "deleteWebhook" in fake_api.methods()  # what python-telegram-bot does before polling
        assert "setWebhook" not in fake_api.methods()
        assert fake_api.sent(515151), "the /start update fetched by polling is answered"
    finally:
        server.stop()
