"""Example data for two communities, loaded only by `linli db load-examples`."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import StaffUser
from bot.backend.residents import ensure_community, get_community
from bot.backend.staff import create_staff
from bot.config import Settings
from knowledge.loader import load_communities


async def load_examples(settings: Settings) -> str:
    """Create the example communities and one staff account each; print generated passwords once."""
    engine = create_engine(settings.database_url)
    lines = []
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            for code, c in load_communities(settings.communities_dir).items():
                community = await get_community(session, code) or await ensure_community(session, code, c.name)
                username = f"{code}-staff"
                exists = (await session.execute(select(StaffUser).where(StaffUser.username == username))).first()
                if exists:
                    lines.append(f"{c.name}（{code}）：员工账号 {username} 已存在")
                    continue
                password = secrets.token_urlsafe(9)
                await create_staff(session, username, password, community=community, display_name=f"{c.name}社工")
                lines.append(f"{c.name}（{code}）：员工账号 {username}  初始密码 {password}")
    finally:
        await engine.dispose()
    return "\n".join(lines)
