"""The `linli` command line.

Subcommands live in modules of this package, one family each, and attach themselves to the groups
defined in `bot.cli.base`; `main` imports them all, by name, so that `linli --help` lists everything and
a renamed module fails loudly instead of silently dropping its commands.
"""

from __future__ import annotations

from bot.cli.base import cli


def main() -> None:
    """Entry point of the `linli` console script."""
    # Imported here, not at module level: `bot.cli.base` alone must stay cheap for tests that build the group.
    from bot.cli import admin, bridge, catalog, chat, db, index, nlu, serve, telegram, testing  # noqa: F401

    cli()


__all__ = ["main", "cli"]
