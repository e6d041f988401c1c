"""The `linli` command line.

Subcommands live in modules of this package, one family each, and attach themselves to the groups
defined in `bot.cli.base`; `main` imports them all so that `linli --help` lists everything.
"""

from __future__ import annotations

import importlib

from bot.cli.base import cli

# Each module registers its commands on import; adding a family is adding a module name here.
_COMMAND_MODULES = ("serve", "chat", "db", "admin", "bridge", "nlu", "catalog", "index", "telegram", "testing")


def main() -> None:
    """Entry point of the `linli` console script."""
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.cli.{name}":
                raise
    cli()


__all__ = ["main", "cli"]
