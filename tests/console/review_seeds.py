"""Ratings and understood messages for the console's review pages, made through the backend functions."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

from bot.backend.db import create_engine, create_sessionmaker
from bot.backend.models import Message, Rating, WorkOrder, utcnow
from bot.backend.ratings import record_rating
from bot.backend.residents import ensure_community, ensure_conversation, ensure_identity
from tests.console.helpers import seed_work_order


@dataclass
class SeededRating:
    rating_id: int
    conversation_id: int


def seed_rating(database_url: str, community: str, score: int, *, days_ago: int = 0, comment: str = "",
                service_id: str | None = None, category: str = "维修") -> SeededRating:
    """A rating of a fresh work order (of `category`), given `days_ago` days ago.

    Dated by `utcnow`, the clock the console's weekly 好评率 reads (bot/console/rating_routes.py), not the
    suite's fixed clock, so the weeks the page draws and the ratings' weeks agree whatever the real date."""
    number, conv_id = seed_work_order(database_url, community, category=category)

    async def run() -> SeededRating:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            from sqlalchemy import select

            order = (await session.execute(select(WorkOrder).where(WorkOrder.number == number))).scalar_one()
            rating = await record_rating(session, community_id=order.community_id, resident_id=order.resident_id,
                                         subject_type="work_order", subject_id=order.id, score=score,
                                         comment=comment, service_id=service_id)
            rating.created_at = utcnow() - dt.timedelta(days=days_ago)
            out = SeededRating(rating.id, conv_id)
        await engine.dispose()
        return out

    return asyncio.run(run())


@dataclass
class SeededMessage:
    message_id: int
    conversation_id: int
    token: str


def seed_message(database_url: str, community: str, text: str, *, intent: str = "nlu_fallback",
                 confidence: float = 0.2, entities: list[dict[str, object]] | None = None,
                 then: str | None = None, then_intent: str = "deny") -> SeededMessage:
    """A resident's message with what the assistant understood of it; `then`: the resident's next message."""

    async def run() -> SeededMessage:
        engine = create_engine(database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            c = await ensure_community(session, community, community)
            identity = await ensure_identity(session, "web", f"r-{uuid.uuid4().hex[:8]}", c)
            conv, _ = await ensure_conversation(session, identity, c)
            parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
            msg = Message(conversation_id=conv.id, direction="in", sender="resident", text=text, parse=parse,
                          intent=intent, confidence=confidence)
            session.add(msg)
            await session.flush()
            if then is not None:
                session.add(Message(conversation_id=conv.id, direction="out", sender="bot", text="……"))
                session.add(Message(conversation_id=conv.id, direction="in", sender="resident", text=then,
                                    intent=then_intent, confidence=0.9))
                await session.flush()
            out = SeededMessage(msg.id, conv.id, conv.token)
        await engine.dispose()
        return out

    return asyncio.run(run())


__all__ = ["Rating", "SeededMessage", "SeededRating", "seed_message", "seed_rating"]
