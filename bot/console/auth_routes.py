"""Console sign-in and sign-out: an HttpOnly cookie holding a staff session token."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend.login_throttle import open_login_throttle, storable
from bot.backend.staff import authenticate, issue_token, revoke_token
from bot.backend.staff_actions import audit
from bot.console.web import COOKIE, LOGIN_COOKIE, CheckedStaffDep, SessionDep, is_secure, render

router = APIRouter(prefix="/console")
# Marks a browser that has signed in to an account before: its attempts are not held up by strangers'
# failures on that account or address (bot/backend/login_throttle.py).
DEVICE_COOKIE = "linli_console_device"
DEVICE_DAYS = 180


def _login_page(request: Request, runtime: RuntimeDep, error: str = "", username: str = "",
                status_code: int = 200) -> Response:
    # Login has no session yet, so its form token is a double-submit pair: cookie and hidden field.
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", runtime, status_code=status_code, error=error, username=username,
                      login_csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax", secure=is_secure(request),
                        path="/console")
    return response  # type: ignore[no-any-return]


@router.get("/login")
async def login_form(request: Request, runtime: RuntimeDep) -> Response:
    """The sign-in page."""
    return _login_page(request, runtime)


@router.post("/login")
async def login(request: Request, runtime: RuntimeDep, session: SessionDep,
                username: Annotated[str, Form(max_length=64)] = "",
                password: Annotated[str, Form(max_length=256)] = "",
                csrf: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Check the password, slowed down after repeated failures, and start a console session."""
    expected = request.cookies.get(LOGIN_COOKIE, "")
    # Compared as bytes: compare_digest refuses non-ASCII text, which a hostile form may well hold.
    same = hmac.compare_digest(csrf.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
    if not expected or not same:
        return _login_page(request, runtime, "页面已过期，请重新登录。", username, status_code=403)
    ip = request.client.host if request.client else "unknown"
    name = storable(username)
    async with open_login_throttle(runtime.settings, session, runtime.services.clock) as throttle:
        attempt = await throttle.attempt(name, ip, request.cookies.get(DEVICE_COOKIE, ""))
        if not attempt.allowed:
            wait = attempt.retry_after
            page = _login_page(request, runtime, f"登录尝试次数过多，请 {wait} 秒后再试。", username, status_code=429)
            page.headers["Retry-After"] = str(wait)
            return page
        user = await authenticate(session, name, password) if name == username and name and password else None
        if user is None:
            await throttle.failed(attempt)
            audit(session, None, "login_failed", "staff_user", name[:64], ip=ip)
            return _login_page(request, runtime, "用户名或密码错误。", username, status_code=401)
        device = await throttle.succeeded(attempt)
    hours = runtime.settings.staff_token_hours
    token = await issue_token(session, user, hours)
    audit(session, user, "login", "staff_user", user.id, ip=ip)
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=hours * 3600, httponly=True, samesite="lax",
                        secure=is_secure(request), path="/console")
    response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_DAYS * 86400, httponly=True, samesite="lax",
                        secure=is_secure(request), path="/console")
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


@router.post("/logout")
async def logout(request: Request, staff: CheckedStaffDep, session: SessionDep) -> Response:
    """End the console session."""
    await revoke_token(session, request.state.console_token)
    audit(session, staff, "logout", "staff_user", staff.id)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response
