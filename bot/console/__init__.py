"""The staff console: server-rendered pages under /console/ for escalations, work orders, bookings,
ratings, NLU review and the service catalog.

The app factory (bot.api.app.create_app) calls `mount_console`; importing this package does nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["mount_console"]


def mount_console(app: FastAPI, runtime: Any) -> None:
    """Add the console's routes, static files and error pages to an app."""
    from bot.console import (
        auth_routes,
        booking_routes,
        catalog_routes,
        escalation_routes,
        figures_routes,
        nlu_routes,
        notice_routes,
        rating_routes,
        workorder_routes,
    )
    from bot.console.catalog_files import reindex
    from bot.console.jobs import JobBoard
    from bot.console.retrain import retrain
    from bot.console.web import HERE, ConsoleError, LoginRequired, render

    app.state.console_jobs = JobBoard(runtime.sessionmaker, runtime.services.clock)
    # The long tasks behind the retrain and reindex buttons; tests swap in quick stand-ins.
    app.state.console_retrain = retrain
    app.state.console_reindex = reindex
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    for module in (auth_routes, escalation_routes, workorder_routes, booking_routes, rating_routes,
                   nlu_routes, catalog_routes, figures_routes, notice_routes):
        app.include_router(module.router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        """Pages without a session send the browser to sign in."""
        return RedirectResponse("/console/login", status_code=303)

    @app.exception_handler(ConsoleError)
    async def _console_error(request: Request, exc: ConsoleError) -> Response:
        """Console errors as a readable page, never JSON."""
        return render(request, "error.html", runtime, status_code=exc.status, message=exc.message)  # type: ignore[no-any-return]

