"""FastAPI dependencies: the runtime, a database session, the current staff member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import MAX_ROW_ID, StaffUser
from bot.backend.staff import user_for_token
from bot.bootstrap import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with.

    Async although it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread, and this
    one is on every request; the hop cost about 5 % of a worker's CPU under load (bench/e2e_bench.py).
    """
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the request succeeds."""
    async with runtime.sessionmaker() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def current_staff(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> StaffUser:
    """The staff member whose bearer token came with the request."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    user = await user_for_token(session, authorization[7:].strip())
    if user is None:
        raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
    return user


StaffDep = Annotated[StaffUser, Depends(current_staff)]


# Ids in paths: database rows are 32-bit integers (a larger number is a 422, never a database error), and
# ticket numbers are letters and digits (GD20261209001, YY…; a partial number is fine).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
TicketNumber = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9]+$")]
