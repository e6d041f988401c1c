"""`linli chat`: talk to the assistant in a terminal, or pipe one message per line through it."""

from __future__ import annotations

import asyncio
import sys

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings


@cli.command()
@click.option("--sender", default="cli-user", help="who is talking (a conversation per sender)")
@click.option("--channel", default="web", help="channel to act as (web, voice, …)")
@click.option("--community", default=None, help="community code")
@pass_settings
def chat(settings: Settings, sender: str, channel: str, community: str | None) -> None:
    """Chat with Linli; with stdin not a terminal, each line is a message and replies are printed."""
    from bot.backend.migrate import upgrade
    from bot.bootstrap import build_runtime
    from bot.dialogue.engine import InboundMessage

    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    interactive = sys.stdin.isatty()

    async def run() -> None:
        try:
            while True:
                if interactive:
                    try:
                        line = input("您：")
                    except EOFError:
                        break
                else:
                    line = sys.stdin.readline()
                    if not line:
                        break
                    line = line.rstrip("\n")
                result = await runtime.dialogue.handle(
                    InboundMessage(sender=sender, text=line, channel=channel, community=community))
                for reply in result.replies:
                    click.echo(f"邻里：{reply.text}")
                    for b in reply.buttons:
                        click.echo(f"  [{b.title}] → {b.payload}")
        finally:
            await runtime.close()

    asyncio.run(run())
