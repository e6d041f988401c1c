"""`linli community add` and `linli staff add`."""

from __future__ import annotations

import asyncio

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings


@cli.group()
def community() -> None:
    """Communities."""


@community.command("add")
@click.argument("code")
@click.argument("name")
@pass_settings
def community_add(settings: Settings, code: str, name: str) -> None:
    """Add a community (or rename an existing one)."""
    from bot.backend.db import create_engine, create_sessionmaker
    from bot.backend.migrate import upgrade
    from bot.backend.residents import ensure_community

    upgrade(settings.database_url)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, code, name)
            c.name = name
        await engine.dispose()

    asyncio.run(run())
    click.echo(f"社区 {code}（{name}）已就绪。")


@cli.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("add")
@click.argument("username")
@click.option("--community", "community_code", default=None, help="community code (staff role)")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="display name")
@pass_settings
def staff_add(settings: Settings, username: str, community_code: str | None, role: str, password: str,
              display_name: str) -> None:
    """Create a staff account."""
    from bot.backend.db import create_engine, create_sessionmaker
    from bot.backend.migrate import upgrade
    from bot.backend.residents import get_community
    from bot.backend.staff import create_staff
    from bot.errors import InvalidInput

    upgrade(settings.database_url)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                c = await get_community(session, community_code) if community_code else None
                if community_code and c is None:
                    raise click.ClickException(f"没有编号为 {community_code} 的社区，请先 linli community add")
                await create_staff(session, username, password, community=c, role=role, display_name=display_name)
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo(f"员工账号 {username} 已创建。")
