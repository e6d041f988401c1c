"""Console sign-in and sign-out: an HttpOnly cookie holding a staff session token."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import RuntimeDep
from bot.backend.staff import authenticate, issue_token, revoke_token
from bot.backend.staff_actions import audit
from bot.console.throttle import LoginThrottle
from bot.console.web import COOKIE, LOGIN_COOKIE, CheckedStaffDep, SessionDep, is_secure, render

router = APIRouter(prefix="/console")


def _throttle(request: Request) -> LoginThrottle:
    return request.app.state.console_throttle  # type: ignore[no-any-return]


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
    if not expected or not hmac.compare_digest(csrf, expected):
        return _login_page(request, runtime, "页面已过期，请重新登录。", username, status_code=403)
    ip = request.client.host if request.client else "unknown"
    throttle = _throttle(request)
    wait = throttle.wait_seconds(username, ip)
    if wait:
        return _login_page(request, runtime, f"登录尝试次数过多，请 {wait} 秒后再试。", username, status_code=429)
    user = await authenticate(session, username, password) if username and password else None
    if user is None:
        throttle.failed(username, ip)
        audit(session, None, "login_failed", "staff_user", username[:64], ip=ip)
        return _login_page(request, runtime, "用户名或密码错误。", username, status_code=401)
    throttle.succeeded(username)
    hours = runtime.settings.staff_token_hours
    token = await issue_token(session, user, hours)
    audit(session, user, "login", "staff_user", user.id, ip=ip)
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=hours * 3600, httponly=True, samesite="lax",
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
