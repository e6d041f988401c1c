"""`linli test conversations`: whole conversations from YAML files, through the real engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
from pathlib import Path

import click

from bot.cli.base import cli, pass_settings
from bot.config import PROJECT_ROOT, Settings
from bot.errors import ConfigurationError


@cli.group()
def test() -> None:
    """Check whole conversations."""


@test.command("conversations")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--date", "dates", multiple=True, type=click.DateTime(["%Y-%m-%d"]),
              help="run on this day (repeatable; default: a Friday, a Saturday, a Sunday and a holiday)")
@click.option("-k", "keyword", default="", help="only conversations whose name contains this")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("-v", "--verbose", is_flag=True, help="show the transcript of each failed conversation")
@pass_settings
def conversations(settings: Settings, paths: tuple[Path, ...], dates: tuple[dt.datetime, ...], keyword: str,
                  as_json: bool, verbose: bool) -> None:
    """Play conversation tests and print task success per category and persona; exit 1 on any failure."""
    if not verbose:
        logging.disable(logging.WARNING)  # the conversations are the output, not the logs
    from bot.conversation_tests import SUITE_DATES, Harness, as_text, load_conversations, summary

    try:
        convs = [c for c in load_conversations(list(paths) or [PROJECT_ROOT / "tests" / "conversations"])
                 if keyword in c.name]
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    days = [d.date() for d in dates] or list(SUITE_DATES)
    harness = Harness(settings)

    async def run_all() -> list:  # type: ignore[type-arg]
        return [await harness.run(c, day) for day in days for c in convs]

    try:
        outcomes = asyncio.run(run_all())
    finally:
        harness.close()
    report = summary(outcomes)
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else as_text(report, verbose=verbose))
    sys.exit(0 if report["passed"] == report["runs"] and report["runs"] else 1)
