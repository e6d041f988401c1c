"""`linli serve`: the HTTP server (REST channel, staff API, console, Telegram webhook)."""

from __future__ import annotations

import os
import tempfile

import click

from bot.cli.base import cli, pass_settings
from bot.config import Settings


@cli.command()
@click.option("--host", default=None, help="address to bind (default from HOST)")
@click.option("--port", default=None, type=int, help="port (default from PORT)")
@click.option("--workers", default=1, type=click.IntRange(1, 64), show_default=True,
              help="server processes (PostgreSQL only); each loads the models once")
@click.option("--access-log/--no-access-log", default=True,
              help="log each request (phone and ID numbers and ?token= values masked)")
@pass_settings
def serve(settings: Settings, host: str | None, port: int | None, workers: int, access_log: bool) -> None:
    """Serve Linli over HTTP."""
    import uvicorn

    from bot.backend.migrate import upgrade
    from bot.logging_setup import uvicorn_options

    if workers > 1 and not settings.database_url.startswith("postgres"):
        raise click.UsageError("SQLite 只支持单个服务进程；多个进程（--workers）请使用 PostgreSQL（DATABASE_URL）。")
    settings.signing_key()  # refuse to start without a proper secret, before anything else happens
    upgrade(settings.database_url)  # once, before any worker starts
    host, port = host or settings.host, port or settings.port
    click.echo(f"邻里 Linli 已启动：居民聊天页 http://{host}:{port}/  员工后台 http://{host}:{port}/console/"
               + (f"（{workers} 个进程）" if workers > 1 else ""), err=True)
    # The app trusts forwarded headers itself, only from TRUSTED_PROXIES (bot/api/app.py); uvicorn must not.
    # uvicorn's lines go through the masking handler that `linli` set up (bot/cli/base.py), not its own.
    options = {"host": host, "port": port, "proxy_headers": False,
               **uvicorn_options(settings.log_level, access_log=access_log)}
    if workers == 1:
        from bot.api.app import create_app
        from bot.bootstrap import build_runtime

        uvicorn.run(create_app(build_runtime(settings)), **options)
        return
    # Several processes: each builds its own app from the environment (bot.api.factory) and accepts on a
    # socket of its own (bot.cli.workers); their metrics are gathered in one directory.
    from bot.cli.workers import run_workers

    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="linli-metrics-"))
    try:
        status = run_workers(workers, options)
    except OSError as exc:
        raise click.ClickException(f"无法监听 {host}:{port}：{exc.strerror or exc}") from exc
    raise SystemExit(status)
