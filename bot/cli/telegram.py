"""`linli telegram`: run the Telegram bot by long polling, with the outbox sender."""

from __future__ import annotations

import asyncio
import signal

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings


@cli.command()
@pass_settings
def telegram(settings: Settings) -> None:
    """Run the Telegram bot by long polling (for servers Telegram cannot reach by webhook)."""
    from bot.backend.migrate import upgrade
    from bot.bootstrap import build_runtime
    from bot.channels.telegram.application import TelegramService

    if settings.telegram_bot_token is None:
        raise click.UsageError("请先设置 TELEGRAM_BOT_TOKEN。")
    upgrade(settings.database_url)
    runtime = build_runtime(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        service = TelegramService(runtime, polling=True)
        click.echo("邻里 Linli Telegram 机器人已启动（长轮询），按 Ctrl+C 停止。", err=True)
        try:
            await service.run_until(stop)
        finally:
            await runtime.close()

    asyncio.run(run())
