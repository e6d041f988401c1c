"""`linli chat`: talk to the assistant in a terminal, or pipe one message per line through it.

The terminal is a channel where nothing can be tapped: replies come with their choices numbered, and a
number or the words pick one (bot.dialogue.choices). Piped input is echoed, so that a scripted run reads
as a conversation; logs stay out of it (stderr, warnings only) unless `--verbose`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings

# What ends the chat (besides Ctrl-D): typed commands, not messages for the assistant.
EXIT_COMMANDS = frozenset({"退出", "quit", "exit", "/quit", "/exit"})
RESIDENT, ASSISTANT = "您：", "邻里："


def _lines(interactive: bool) -> Iterator[str]:
    """The resident's messages until EOF (Ctrl-D) or an exit command; piped ones are echoed."""
    while True:
        try:
            line = input(RESIDENT) if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            if interactive:
                click.echo()
            return
        if not interactive:
            if not line:
                return
            line = line.rstrip("\r\n")
            if line.strip():
                click.echo(f"{RESIDENT}{line}")
        if line.strip().lower() in EXIT_COMMANDS:
            return
        if line.strip():
            yield line


def _show(text: str) -> None:
    """A reply, its further lines indented under the first."""
    first, *rest = text.splitlines() or [""]
    click.echo(f"{ASSISTANT}{first}")
    for line in rest:
        click.echo(f"  {line}")


@cli.command()
@click.option("--sender", default="cli-user", help="who is talking (a conversation per sender)")
@click.option("--channel", default="cli", help="channel to act as (cli, voice, web, …)")
@click.option("--community", default=None, help="community code")
@click.option("-v", "--verbose", is_flag=True, help="show the log (on stderr) while chatting")
@pass_settings
def chat(settings: Settings, sender: str, channel: str, community: str | None, verbose: bool) -> None:
    """Chat with Linli; ends on 退出, quit, exit or Ctrl-D. With stdin not a terminal, each line is a message."""
    if not verbose:
        root = logging.getLogger()
        root.setLevel(max(root.level, logging.WARNING))
    from bot.backend.migrate import upgrade
    from bot.bootstrap import build_runtime
    from bot.dialogue.choices import write_out
    from bot.dialogue.engine import InboundMessage

    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    interactive = sys.stdin.isatty()
    render = runtime.dialogue.domain.render
    # A channel with buttons (web) gets its choices written out here; plain-text channels already have them.
    write_choices = channel not in settings.plain_text_channels

    async def run() -> None:
        try:
            if interactive:
                _show(render("utter_chat_welcome", {}).text)
            for line in _lines(interactive):
                result = await runtime.dialogue.handle(
                    InboundMessage(sender=sender, text=line, channel=channel, community=community))
                if write_choices:
                    write_out(result.replies, render)
                for reply in result.replies:
                    _show(reply.text)
            _show(render("utter_goodbye", {}).text)
        finally:
            await runtime.close()

    asyncio.run(run())
