"""`linli bridge add|list|revoke`: keys for the front ends that speak for residents of one channel."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.base import cli, pass_settings
from bot.config import Settings

T = TypeVar("T")


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work in a transaction on the configured database (migrated first)."""
    from bot.backend.db import create_engine, create_sessionmaker
    from bot.backend.migrate import upgrade

    upgrade(settings.database_url)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@cli.group()
def bridge() -> None:
    """Keyed bridges: voice front ends, WeChat/WeCom bridges, SMS gateways, partners' apps."""


@bridge.command("add")
@click.argument("name")
@click.option("--channel", required=True, help="the channel it speaks for, e.g. voice, wecom, sms")
@click.option("--community", default=None, help="limit the key to one community's residents")
@pass_settings
def bridge_add(settings: Settings, name: str, channel: str, community: str | None) -> None:
    """Add a bridge and print its key (shown this once; only a hash is kept)."""
    from bot.backend.bridges import add_bridge, is_bridge_channel
    from bot.backend.residents import get_community
    from bot.errors import InvalidInput
    from knowledge.loader import load_communities

    if not is_bridge_channel(channel):
        raise click.BadParameter(f"{channel!r} is not a bridge channel (web and app clients use secret sender ids; "
                                 "telegram has its own signed webhook)", param_hint="--channel")
    known = set(load_communities(settings.communities_dir)) | {settings.default_community}

    async def work(session: AsyncSession) -> str:
        if community and community not in known and await get_community(session, community) is None:
            raise click.BadParameter(f"unknown community {community!r}", param_hint="--community")
        return (await add_bridge(session, name, channel, community, dt.datetime.now(dt.UTC)))[1]

    try:
        key = _in_session(settings, work)
    except InvalidInput as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"桥接 {name}（{channel}{'，' + community if community else ''}）已添加。密钥只显示这一次，请妥善保存：")
    click.echo(key)


@bridge.command("list")
@pass_settings
def bridge_list(settings: Settings) -> None:
    """List bridges with their channel, community, key prefix, last use and whether revoked."""
    from bot.backend.bridges import list_bridges

    async def work(session: AsyncSession) -> list[str]:
        rows = []
        for b in await list_bridges(session):
            used = b.last_used_at.strftime("%Y-%m-%d %H:%M") if b.last_used_at else "未使用"
            state = f"已停用 {b.revoked_at:%Y-%m-%d}" if b.revoked_at else "有效"
            rows.append(f"{b.name}\t{b.channel}\t{b.community_code or '全部社区'}\t{b.key_prefix}…\t{used}\t{state}")
        return rows

    rows = _in_session(settings, work)
    click.echo("\n".join(rows) if rows else "还没有桥接。用 linli bridge add 添加。")


@bridge.command("revoke")
@click.argument("name")
@pass_settings
def bridge_revoke(settings: Settings, name: str) -> None:
    """Stop a bridge's key from working at once."""
    from bot.backend.bridges import revoke_bridge
    from bot.errors import NotFound

    async def work(session: AsyncSession) -> None:
        await revoke_bridge(session, name, dt.datetime.now(dt.UTC))

    try:
        _in_session(settings, work)
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"桥接 {name} 已停用。")
