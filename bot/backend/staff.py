"""Staff accounts, password hashing (argon2) and bearer/session tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Community, StaffCommunity, StaffSession, StaffUser, utcnow
from bot.errors import InvalidInput

_hasher = PasswordHasher()
# staff: one community; street: a street office (街道) overseeing several; admin: every community.
ROLES = ("staff", "street", "admin")
# Verifying against this when the user does not exist keeps timing the same either way.
_DUMMY_HASH = _hasher.hash("linli-timing-equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_staff(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    community: Community | None,
    role: str = "staff",
    display_name: str = "",
    oversees: Sequence[Community] = (),
) -> StaffUser:
    """Create a staff account; staff belong to a community, a street office (街道) oversees several
    (`oversees`), administrators see every community."""
    if role not in ROLES:
        raise InvalidInput("role must be staff, street or admin")
    if role == "staff" and community is None:
        raise InvalidInput("staff accounts need a community")
    if role == "street" and not oversees:
        raise InvalidInput("street-office accounts need the communities they oversee")
    user = StaffUser(
        username=username,
        password_hash=hash_password(password),
        community_id=community.id if community else None,
        role=role,
        display_name=display_name or username,
    )
    session.add(user)
    await session.flush()
    if role == "street":
        ids = sorted({c.id for c in oversees})
        session.add_all(StaffCommunity(staff_id=user.id, community_id=i) for i in ids)
        await session.flush()
    return user


async def visible_communities(session: AsyncSession, staff: StaffUser) -> list[Community]:
    """The communities whose records a staff member may see: their own, a street office's set, or all (admin)."""
    stmt = select(Community).order_by(Community.code)
    if staff.role == "street":
        stmt = stmt.join(StaffCommunity, StaffCommunity.community_id == Community.id).where(
            StaffCommunity.staff_id == staff.id)
    elif staff.role != "admin":
        stmt = stmt.where(Community.id == staff.community_id)
    return list((await session.execute(stmt)).scalars())


async def authenticate(session: AsyncSession, username: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None."""
    stmt = select(StaffUser).where(StaffUser.username == username)
    user = (await session.execute(stmt)).unique().scalar_one_or_none()
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, user: StaffUser, hours: int) -> str:
    """A new random token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_digest(token), staff_id=user.id,
                             expires_at=utcnow() + dt.timedelta(hours=hours)))
    await session.flush()
    return token


async def user_for_token(session: AsyncSession, token: str) -> StaffUser | None:
    """The staff user a live token belongs to."""
    stmt = select(StaffSession).where(StaffSession.token_hash == _digest(token))
    sess = (await session.execute(stmt)).unique().scalar_one_or_none()
    if sess is None or sess.expires_at < utcnow() or not sess.staff.active:
        return None
    return sess.staff


async def revoke_token(session: AsyncSession, token: str) -> None:
    """End a session (logout)."""
    stmt = select(StaffSession).where(StaffSession.token_hash == _digest(token))
    sess = (await session.execute(stmt)).unique().scalar_one_or_none()
    if sess is not None:
        await session.delete(sess)
