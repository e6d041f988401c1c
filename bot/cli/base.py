"""The root click group and the shared command groups that modules attach to."""

from __future__ import annotations

import logging
import sys

import click

from bot.config import Settings


def configure_logging(settings: Settings) -> None:
    """Send logs to stderr so that commands printing JSON keep stdout clean."""
    from bot.logging_setup import setup_logging

    setup_logging(settings.log_level, stream=sys.stderr, fmt=settings.log_format)


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """邻里 Linli — 城乡社区服务助手 / community-service assistant."""
    settings = Settings()
    ctx.obj = settings
    configure_logging(settings)
    logging.getLogger("linli").debug("settings loaded")


@cli.group()
def evaluate() -> None:
    """Measure NLU or retrieval on held-out data."""


@cli.group()
def catalog() -> None:
    """Validate, list, import and export the service catalog."""


@cli.group()
def db() -> None:
    """Database schema and example data."""


pass_settings = click.make_pass_decorator(Settings)
