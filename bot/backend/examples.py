"""Example data for two communities, loaded only by `linli db load-examples`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import select

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import StaffUser
from bot.backend.residents import ensure_community, get_community
from bot.backend.staff import create_staff
from bot.config import Settings


async def load_examples(settings: Settings, communities: Mapping[str, str]) -> str:
    """Create the given communities (code → name, from the settings files) and one staff account each;
    print generated passwords once."""
    engine = create_engine(settings.database_url)
    lines = []
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            for code, name in communities.items():
                community = await get_community(session, code) or await ensure_community(session, code, name)
                username = f"{code}-staff"
                exists = (await session.execute(select(StaffUser).where(StaffUser.username == username))).first()
                if exists:
                    lines.append(f"{name}（{code}）：员工账号 {username} 已存在")
                    continue
                password = secrets.token_urlsafe(9)
                await create_staff(session, username, password, community=community, display_name=f"{name}社工")
                lines.append(f"{name}（{code}）：员工账号 {username}  初始密码 {password}")
    finally:
        await engine.dispose()
    return "\n".join(lines)
