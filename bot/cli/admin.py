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
@click.option("--community", "community_codes", multiple=True,
              help="community code: one for the staff role; repeat it for each community a street office oversees")
@click.option("--role", type=click.Choice(["staff", "street", "admin"]), default="staff",
              help="staff: one community; street: a street office (街道) seeing several; admin: all")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="display name")
@pass_settings
def staff_add(settings: Settings, username: str, community_codes: tuple[str, ...], role: str, password: str,
              display_name: str) -> None:
    """Create a staff account (`--role street --community a --community b` for a street office)."""
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
                found = []
                for code in community_codes:
                    c = await get_community(session, code)
                    if c is None:
                        raise click.ClickException(f"没有编号为 {code} 的社区，请先 linli community add")
                    found.append(c)
                if role != "street" and len(found) > 1:
                    raise click.ClickException("社区工作人员只属于一个社区；街道账号请用 --role street")
                own = found[0] if found and role != "street" else None
                await create_staff(session, username, password, community=own, role=role, display_name=display_name,
                                   oversees=found if role == "street" else ())
        except InvalidInput as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo(f"员工账号 {username} 已创建。")
