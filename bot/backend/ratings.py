"""好差评 ratings: five grades mapped to 5…1, with a follow-up for poor ones."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Rating

LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
FOLLOW_UP_AT_OR_BELOW = 2


def grade(score: int) -> str:
    """好评 for 4–5, 中评 for 3, 差评 for 1–2."""
    return "好评" if score >= 4 else "中评" if score == 3 else "差评"


async def record_rating(
    session: AsyncSession,
    *,
    community_id: int,
    resident_id: int,
    subject_type: str,
    subject_id: int,
    score: int,
    comment: str = "",
    service_id: str | None = None,
) -> Rating:
    """Store a rating; a score of 2 or lower is marked 待回访 for staff."""
    score = max(1, min(5, int(score)))
    rating = Rating(
        community_id=community_id,
        resident_id=resident_id,
        subject_type=subject_type,
        subject_id=subject_id,
        service_id=service_id,
        score=score,
        grade=grade(score),
        label=LABELS[score],
        comment=comment[:1000],
        follow_up_status="待回访" if score <= FOLLOW_UP_AT_OR_BELOW else None,
    )
    session.add(rating)
    await session.flush()
    return rating
