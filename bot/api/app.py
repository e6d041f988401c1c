"""The FastAPI application: REST channel, staff API, Rasa-compatible parse, health and web chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.api.headers import SecurityHeaders
from bot.api.metrics import install_metrics
from bot.api.staff import router as staff_router
from bot.api.staff_bookings import router as staff_bookings_router
from bot.backend.rate_limits import RateLimits
from bot.bootstrap import Runtime
from bot.channels.rest import router as rest_router
from bot.channels.telegram import mount_webhook
from bot.channels.web_events import router as web_events_router
from bot.channels.wechat import mount_callbacks
from bot.console import mount_console
from bot.errors import InvalidInput, NotFound, PermissionDenied

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(runtime: Runtime) -> FastAPI:
    """An app serving the given runtime; it closes the runtime's database on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from bot.backend.leadership import lead
        from bot.dialogue.reminders import run_periodically

        async def booking_messages(finish: asyncio.Event) -> None:
            await run_periodically(runtime.services, finish, runtime.settings.reminder_interval_seconds)

        # However many workers serve, one of them queues reminders and rating requests at a time.
        stop = asyncio.Event()
        task = asyncio.create_task(lead(runtime.db, "booking-messages", booking_messages, stop))
        try:
            yield
        finally:
            stop.set()
            await task
            await runtime.close()

    runtime.settings.signing_key()  # outside development, no server starts without a proper secret key
    app = FastAPI(title="邻里 Linli", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.rate_limits = RateLimits(runtime.settings, runtime.db, runtime.services.clock)
    app.add_middleware(SecurityHeaders)
    if runtime.settings.trusted_proxies:
        # Only these proxies may set the client's address and scheme (X-Forwarded-For / -Proto).
        trusted = [h.strip() for h in runtime.settings.trusted_proxies.split(",") if h.strip()]
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)

    # Every router, listed here: a renamed module fails at start-up instead of silently taking its routes away.
    app.include_router(rest_router)
    app.include_router(web_events_router)
    app.include_router(staff_router)
    app.include_router(staff_bookings_router)
    mount_console(app, runtime)
    mount_webhook(app, runtime)  # only when a Telegram bot token is set
    mount_callbacks(app, runtime)  # only when a WeChat token is set

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Malformed requests get a clear 422 without echoing the whole input back."""
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        """Objects that do not exist, or belong to another community, look the same: 404."""
        return JSONResponse({"detail": str(exc) or "not found"}, status_code=404)

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: PermissionDenied) -> JSONResponse:
        return JSONResponse({"detail": str(exc) or "forbidden"}, status_code=403)

    @app.exception_handler(InvalidInput)
    async def _invalid_input(request: Request, exc: InvalidInput) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        """JSON nested thousands deep exhausts the parser's recursion: a malformed request, not a crash."""
        return JSONResponse({"detail": "request body is nested too deeply"}, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        """Never a stack trace to a client; staff find the full one in the log."""
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "服务器开小差了，请稍后再试。"}, status_code=500)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness and what is loaded."""
        retriever = runtime.services.retriever
        return {"status": "ok", "nlu_backend": runtime.settings.nlu_backend,
                "index_version": getattr(retriever, "version", None), "services": len(runtime.catalog.services)}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_metrics(app, runtime)

    @app.get("/", include_in_schema=False)
    async def web_chat() -> FileResponse:
        """The resident web chat page."""
        return FileResponse(STATIC / "chat.html", media_type="text/html; charset=utf-8")

    return app
