"""Mounting the WeChat channels on the HTTP app and running their outbox senders with it."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from bot.api.lifespan import run_alongside
from bot.backend.access_tokens import AccessTokens
from bot.bootstrap import Runtime
from bot.channels.sender import OutboxSender
from bot.channels.wechat.api import WeChatApi, kf_api, mp_api
from bot.channels.wechat.kf import CustomerService
from bot.channels.wechat.mp import OfficialAccount
from bot.channels.wechat.push import MpPush

log = logging.getLogger(__name__)


class WeChatService:
    """The channels whose tokens are set, each with its API and its outbox sender."""

    def __init__(self, runtime: Runtime, *, sender_interval: float = 2.0) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.tokens = AccessTokens(runtime.sessionmaker)
        self.apis: list[WeChatApi] = []
        self.mp: OfficialAccount | None = None
        self.mp_sender: OutboxSender | None = None
        self.kf: CustomerService | None = None
        self.kf_sender: OutboxSender | None = None
        if settings.wechat_mp_token is not None:
            api = mp_api(settings, self.tokens)
            self.apis.append(api)
            self.mp = OfficialAccount(runtime)
            self.mp_sender = OutboxSender(runtime, MpPush(runtime, api), channel="wechat", interval=sender_interval)
        if settings.wecom_kf_token is not None:
            api = kf_api(settings, self.tokens)
            self.apis.append(api)
            self.kf = CustomerService(runtime, api)
            self.kf_sender = OutboxSender(runtime, self.kf.push, channel="wecom", interval=sender_interval)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def senders(self) -> list[OutboxSender]:
        """The outbox senders of the channels that are on."""
        return [s for s in (self.mp_sender, self.kf_sender) if s is not None]

    async def start(self) -> None:
        """Start draining the outbox rows of each channel (rows are claimed, so every worker may)."""
        self._tasks = [asyncio.create_task(s.run(), name=f"{s.channel}-outbox") for s in self.senders]

    async def stop(self) -> None:
        """Stop the senders, let late turns and readings finish, close the connection pools."""
        for sender in self.senders:
            sender.stop()
        for task in self._tasks:
            await task
        if self.mp is not None:
            await self.mp.drain()
        if self.kf is not None:
            await self.kf.drain()
        for api in self.apis:
            api.close()


def install(app: FastAPI, runtime: Runtime) -> WeChatService:
    """Mount the callbacks of the channels that are on and tie their senders to the app's lifespan."""
    service = WeChatService(runtime)
    app.state.wechat = service
    if service.mp is not None:
        app.include_router(service.mp.router())
    if service.kf is not None:
        app.include_router(service.kf.router())
    run_alongside(app, service.start, service.stop)
    return service
