"""Communities, residents, their channel identities and conversations."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import MAX_ROW_ID, ChannelIdentity, Community, Conversation, Resident


async def get_community(session: AsyncSession, code: str) -> Community | None:
    """The community with this code, or None."""
    return (await session.execute(select(Community).where(Community.code == code))).scalar_one_or_none()


async def ensure_community(session: AsyncSession, code: str, name: str) -> Community:
    """The community with this code, created on first use."""
    community = await get_community(session, code)
    if community is None:
        community = Community(code=code, name=name)
        session.add(community)
        await session.flush()
    return community


async def find_identity(session: AsyncSession, channel: str, external_id: str) -> ChannelIdentity | None:
    """The identity of a sender on a channel, if seen before."""
    stmt = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def ensure_identity(
    session: AsyncSession, channel: str, external_id: str, community: Community, chat_id: str | None = None
) -> ChannelIdentity:
    """The sender's identity, creating a resident for a first-time sender."""
    identity = await find_identity(session, channel, external_id)
    if identity is None:
        resident = Resident(community_id=community.id, elderly_mode=(channel == "voice"))
        session.add(resident)
        await session.flush()
        identity = ChannelIdentity(
            resident_id=resident.id, channel=channel, external_id=external_id, chat_id=chat_id
        )
        identity.resident = resident
        session.add(identity)
        await session.flush()
    else:
        touch_identity(identity, chat_id)
    return identity


def touch_identity(identity: ChannelIdentity, chat_id: str | None) -> None:
    """A message came in: the identity is reachable again, at its latest chat."""
    if chat_id and identity.chat_id != chat_id:
        identity.chat_id = chat_id
    if not identity.active:
        identity.active = True


async def latest_conversation(session: AsyncSession, identity: ChannelIdentity) -> Conversation | None:
    """The identity's current conversation (locked for this turn where the database can)."""
    stmt = (
        select(Conversation)
        .where(Conversation.identity_id == identity.id)
        .order_by(Conversation.id.desc())
        .limit(1)
        .with_for_update(of=Conversation)
    )
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def conversation_of_sender(session: AsyncSession, channel: str, external_id: str) -> Conversation | None:
    """A known sender's current conversation with identity, resident and community, in one locked query.

    Most turns come from residents already talking; this saves the separate identity look-up.
    """
    stmt = (
        select(Conversation)
        .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        .order_by(Conversation.id.desc())
        .limit(1)
        .with_for_update(of=Conversation)
    )
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def ensure_conversation(
    session: AsyncSession, identity: ChannelIdentity, community: Community
) -> tuple[Conversation, bool]:
    """The identity's conversation, creating one if needed; True when new."""
    conv = await latest_conversation(session, identity)
    if conv is not None:
        return conv, False
    conv = Conversation(
        token=secrets.token_urlsafe(24),
        resident_id=identity.resident_id,
        identity_id=identity.id,
        community_id=community.id,
        channel=identity.channel,
        state={},
    )
    session.add(conv)
    await session.flush()
    return conv, True


async def conversation_by_token(session: AsyncSession, conversation_id: int, token: str) -> Conversation | None:
    """The conversation when `token` is its token (compared in constant time, as bytes: a token may hold
    anything), else None; a wrong token and a missing conversation look the same to the caller."""
    conv = await session.get(Conversation, conversation_id) if 1 <= conversation_id <= MAX_ROW_ID else None
    if conv is None or not secrets.compare_digest(conv.token.encode(), token.encode("utf-8", "surrogatepass")):
        return None
    return conv
