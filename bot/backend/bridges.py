"""Keyed bridges: the front ends allowed to speak for residents of one channel.

A voice front end, a WeChat or WeCom bridge, an SMS gateway or a partner's app posts residents'
messages to the REST channel. Each is added by staff with `linli bridge add`, which prints its key
once; the bridge sends it as `Authorization: Bearer KEY`. A key works for its own channel only, and for
its own community when it was given one.

Keys are 256 random bits, so a plain SHA-256 of the key is as good as a password hash here and cheap
enough to check on every message (a slow hash such as argon2 protects guessable passwords, which these
are not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Bridge
from bot.errors import InvalidInput, NotFound

KEY_PREFIX = "lb_"
# Web and app clients name themselves with a secret sender id; Telegram, WeChat, WeCom (and the local
# terminal) have their own signed ways in. Every other channel name belongs to bridges.
SECRET_SENDER_CHANNELS = ("web", "app")
NOT_OVER_REST = ("telegram", "wechat", "wecom", "cli")
CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_-]{1,31}")


def is_bridge_channel(channel: str) -> bool:
    """Whether messages of this channel come only through a keyed bridge."""
    return (bool(CHANNEL_NAME.fullmatch(channel)) and channel not in SECRET_SENDER_CHANNELS
            and channel not in NOT_OVER_REST)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


async def add_bridge(session: AsyncSession, name: str, channel: str, community: str | None,
                     now: dt.datetime) -> tuple[Bridge, str]:
    """A new bridge and its key; the key is returned here once and never stored."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("bridge name must be 1 to 64 characters")
    if await session.scalar(select(Bridge).where(Bridge.name == name)) is not None:
        raise InvalidInput(f"a bridge named {name!r} already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    bridge = Bridge(name=name, channel=channel, community_code=community, key_prefix=key[:10],
                    key_hash=_hash(key), created_at=now)
    session.add(bridge)
    await session.flush()
    return bridge, key


async def list_bridges(session: AsyncSession) -> Sequence[Bridge]:
    """Every bridge, revoked ones included (they stay on record)."""
    return (await session.execute(select(Bridge).order_by(Bridge.id))).scalars().all()


async def revoke_bridge(session: AsyncSession, name: str, now: dt.datetime) -> Bridge:
    """Stop a bridge's key from working; the row stays for the record."""
    bridge = await session.scalar(select(Bridge).where(Bridge.name == name))
    if bridge is None:
        raise NotFound(f"no bridge named {name!r}")
    if bridge.revoked_at is None:
        bridge.revoked_at = now
    return bridge


async def bridge_for_key(session: AsyncSession, key: str, now: dt.datetime) -> Bridge | None:
    """The live bridge a key belongs to, or None; marks when it was last used (at most once a minute)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    digest = _hash(key)
    bridge = await session.scalar(select(Bridge).where(Bridge.key_hash == digest))
    if bridge is None or bridge.revoked_at is not None or not hmac.compare_digest(bridge.key_hash, digest):
        return None
    if bridge.last_used_at is None or now - bridge.last_used_at > dt.timedelta(minutes=1):
        bridge.last_used_at = now
    return bridge
