"""What every console page shares: templates, the database session, the signed-in staff member, CSRF."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import RuntimeDep
from bot.backend.models import StaffUser, utcnow
from bot.backend.staff import user_for_token
from bot.backend.staff_actions import audit
from bot.bootstrap import Runtime
from bot.errors import NotFound
from bot.masking import mask_personal_data, mask_phone
from knowledge.emergencies import load_emergencies

HERE = Path(__file__).parent
COOKIE = "linli_console"
LOGIN_COOKIE = "linli_console_login"
templates = Jinja2Templates(directory=str(HERE / "templates"))


class LoginRequired(Exception):
    """No valid console session: the handler sends the browser to the login page."""


T = TypeVar("T")


class ConsoleError(Exception):
    """An error shown to staff as a page (403 bad form token, 404 not found or not theirs)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def visible(lookup: Awaitable[T], what: str) -> T:
    """A community-scoped look-up as a console 404 page: missing and not-theirs look the same to staff."""
    try:
        return await lookup
    except NotFound as exc:
        raise ConsoleError(404, f"没有找到{what}，或它不属于您的社区。") from exc


@cache
def texts() -> dict[str, Any]:
    """Console wording from texts.yml (labels, quick replies, outcomes), and the names of the kinds of
    danger from knowledge/emergencies.yml (the one place they are kept)."""
    with open(HERE / "texts.yml", encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    book = load_emergencies()
    data["kinds"] = {k.id: k.name for k in (*book.kinds, *book.calls)}
    return data


async def console_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session committed before the response leaves, so a redirect never outruns its own write."""
    async with runtime.sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(console_session, scope="function")]


async def current_staff(request: Request, session: SessionDep) -> StaffUser:
    """The staff member whose console cookie came with the request."""
    token = request.cookies.get(COOKIE)
    user = await user_for_token(session, token) if token else None
    if user is None:
        raise LoginRequired()
    request.state.console_token = token
    return user


StaffDep = Annotated[StaffUser, Depends(current_staff, scope="function")]


def csrf_token(runtime: Runtime, session_token: str) -> str:
    """The form token of one console session: a keyed hash, so nothing more needs storing."""
    key = runtime.settings.signing_key()
    return hmac.new(key, b"console-csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


async def checked_staff(request: Request, staff: StaffDep, runtime: RuntimeDep) -> StaffUser:
    """The signed-in staff member, after checking the form's CSRF token (every console POST)."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    # As bytes: compare_digest refuses non-ASCII str, and a form may hold anything.
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"),
                               csrf_token(runtime, request.state.console_token).encode()):
        raise ConsoleError(403, "页面已过期或来源不明，请刷新后重试。")
    return staff


CheckedStaffDep = Annotated[StaffUser, Depends(checked_staff, scope="function")]


def is_secure(request: Request) -> bool:
    """Cookies get the Secure flag whenever the console is served over https."""
    return request.url.scheme == "https"


def render(request: Request, name: str, runtime: Runtime, staff: StaffUser | None = None,
           status_code: int = 200, **context: Any) -> Any:
    """A console page with the staff member, their CSRF token and the shared labels."""
    token = getattr(request.state, "console_token", None)
    return templates.TemplateResponse(
        request, name, {"staff": staff, "csrf": csrf_token(runtime, token) if token else "", "texts": texts(),
                        "tz": ZoneInfo(runtime.services.community(None).timezone),
                        "now": runtime.services.clock(), **context},
        status_code=status_code, headers={"Cache-Control": "no-store"})


def revealed(session: AsyncSession, staff: StaffUser, object_type: str, object_id: object,
             **values: str | None) -> JSONResponse:
    """One object's numbers in full, for staff who must call the resident; each reveal is audited.

    Pages show them masked (the `masked` filters); console.js swaps in these values on a click.
    """
    audit(session, staff, "reveal_phone", object_type, object_id, fields=sorted(values))
    return JSONResponse({k: v or "" for k, v in values.items()}, headers={"Cache-Control": "no-store"})


def waited(since: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long something has waited, the way staff say it: 不到1分钟, 12分钟, 3小时5分, 2天."""
    minutes = int(((now or utcnow()) - since).total_seconds() // 60)
    if minutes < 1:
        return "不到1分钟"
    if minutes < 60:
        return f"{minutes}分钟"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时{minutes % 60}分" if minutes % 60 else f"{minutes // 60}小时"
    return f"{minutes // (24 * 60)}天"


def local_time(moment: dt.datetime | None, tz: ZoneInfo, fmt: str = "%m-%d %H:%M") -> str:
    """A UTC timestamp in the community's local time."""
    return moment.astimezone(tz).strftime(fmt) if moment else ""


templates.env.filters["waited"] = waited
templates.env.filters["local"] = local_time
# Resident text and phone fields are shown masked; staff who must call reveal one number (audited).
templates.env.filters["masked"] = mask_personal_data
templates.env.filters["masked_phone"] = mask_phone
