"""`linli db …`: migrations and example data."""

from __future__ import annotations

import asyncio

import click

from bot.cli.base import db, pass_settings
from bot.config import Settings


@db.command("upgrade")
@click.option("--revision", default="head")
@pass_settings
def upgrade_cmd(settings: Settings, revision: str) -> None:
    """Migrate the database to the latest schema."""
    from bot.backend.migrate import upgrade

    upgrade(settings.database_url, revision)
    click.echo("数据库已是最新结构。", err=True)


@db.command("load-examples")
@pass_settings
def load_examples(settings: Settings) -> None:
    """Load example data for two communities (never done implicitly)."""
    from bot.backend.examples import load_examples as load
    from bot.backend.migrate import upgrade
    from knowledge.loader import load_communities

    upgrade(settings.database_url)
    names = {code: c.name for code, c in load_communities(settings.communities_dir).items()}
    summary = asyncio.run(load(settings, names))
    click.echo(summary)
