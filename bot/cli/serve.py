"""`linli serve`: the HTTP server (REST channel, staff API, console, Telegram webhook)."""

from __future__ import annotations

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings


@cli.command()
@click.option("--host", default=None, help="address to bind (default from HOST)")
@click.option("--port", default=None, type=int, help="port (default from PORT)")
@click.option("--access-log/--no-access-log", default=True,
              help="log each request (phone and ID numbers and ?token= values masked)")
@pass_settings
def serve(settings: Settings, host: str | None, port: int | None, access_log: bool) -> None:
    """Serve Linli over HTTP."""
    import uvicorn

    from bot.api.app import create_app
    from bot.backend.migrate import upgrade
    from bot.bootstrap import build_runtime
    from bot.logging_setup import uvicorn_options

    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    app = create_app(runtime)
    host, port = host or settings.host, port or settings.port
    click.echo(f"邻里 Linli 已启动：居民聊天页 http://{host}:{port}/  员工后台 http://{host}:{port}/console/", err=True)
    # uvicorn's lines go through the masking handler that `linli` set up (bot/cli/base.py), not its own.
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings.log_level, access_log=access_log))
