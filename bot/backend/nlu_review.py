"""Staff review of what the assistant did not understand well, and its export as Rasa NLU training data.

A resident message needs review when its intent confidence fell below the fallback threshold or the
assistant gave up (`nlu_fallback`). Staff pick the right intent and entities; the correction is kept as an
`NluCorrection` and exported as Rasa 3.x YAML that `linli train` (or Rasa itself) reads. The export
carries no resident's phone or ID number: they are zeroed in shape (`bot.masking.mask_for_training`),
in the text and in the entity values alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Conversation, Message, NluCorrection, StaffUser
from bot.backend.staff_actions import audit
from bot.errors import InvalidInput, NotFound
from bot.masking import mask_for_training, mask_personal_data

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class ReviewItem:
    """A message to review with the community it came from."""

    message: Message
    community_id: int


def _visible(stmt: Any, staff: StaffUser) -> Any:
    return stmt if staff.role == "admin" else stmt.where(Conversation.community_id == staff.community_id)


async def to_review(session: AsyncSession, staff: StaffUser, threshold: float, *, limit: int = 100) -> list[ReviewItem]:
    """Unreviewed resident messages understood poorly, newest first, of the staff member's community."""
    stmt = (select(Message, Conversation.community_id).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == "in", Message.reviewed.is_(False),
                   or_(Message.intent == FALLBACK_INTENT, Message.confidence < threshold))
            .order_by(Message.id.desc()).limit(limit))
    return [ReviewItem(m, c) for m, c in (await session.execute(_visible(stmt, staff))).all()]


async def visible_message(session: AsyncSession, staff: StaffUser, message_id: int) -> ReviewItem:
    """A resident message by id, or NotFound when missing, not a resident's, or of another community."""
    stmt = (select(Message, Conversation.community_id).join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id == message_id, Message.direction == "in"))
    row = (await session.execute(_visible(stmt, staff))).first()
    if row is None:
        raise NotFound("message not found")
    return ReviewItem(row[0], row[1])


def parse_entities(field: str, text: str, allowed: Iterable[str],
                   understood: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Read "service=高龄津贴, date=明天" into entities with their place in the text.

    A value found in the text is annotated where it occurs; otherwise the span the assistant had found
    for that entity is kept (a normalised value such as service=elderly-allowance). Staff see phone
    numbers masked, so a value typed as shown (phone=138****5678) stands for the number the assistant
    found there. InvalidInput names a malformed item or an entity the domain does not know.
    """
    names = set(allowed)
    out: list[dict[str, Any]] = []
    for item in (p.strip() for p in re.split(r"[,，;；\n]+", field) if p.strip()):
        name, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not name or not value:
            raise InvalidInput(f"「{item}」应写成 实体=值")
        if name not in names:
            raise InvalidInput(f"没有「{name}」这种实体，可选：{'、'.join(sorted(names))}")
        entity: dict[str, Any] = {"entity": name, "value": value}
        at = text.find(value)
        if at >= 0:
            entity.update(start=at, end=at + len(value))
        else:
            span = next((e for e in understood if e.get("entity") == name and isinstance(e.get("start"), int)), None)
            if span is not None:
                entity.update(start=span["start"], end=span["end"])
                if value != str(span.get("value")) and mask_personal_data(str(span.get("value"))) == value:
                    entity["value"] = span.get("value")
        out.append(entity)
    return out


async def save_correction(session: AsyncSession, item: ReviewItem, staff: StaffUser, intent: str,
                          entities: list[dict[str, Any]]) -> NluCorrection:
    """Keep the staff member's reading of a message and take the message off the review list."""
    message = item.message
    correction = NluCorrection(message_id=message.id, community_id=item.community_id, text=message.text,
                               intent=intent, entities=entities, staff_id=staff.id)
    session.add(correction)
    message.reviewed = True
    await session.flush()
    audit(session, staff, "nlu_correction", "message", message.id, intent=intent,
          was=message.intent, entities=[f"{e['entity']}={mask_personal_data(str(e['value']))}" for e in entities])
    return correction


def dismiss(session: AsyncSession, item: ReviewItem, staff: StaffUser) -> None:
    """Take a message off the list without a correction (noise, a message that is no example)."""
    item.message.reviewed = True
    audit(session, staff, "nlu_dismiss", "message", item.message.id)


async def corrections(session: AsyncSession, staff: StaffUser) -> list[NluCorrection]:
    """The corrections of the staff member's community (administrators: all), oldest first."""
    stmt = select(NluCorrection).order_by(NluCorrection.id)
    if staff.role != "admin":
        stmt = stmt.where(NluCorrection.community_id == staff.community_id)
    return list((await session.execute(stmt)).scalars())


def _plain(text: str) -> str:
    # Brackets would read as Rasa annotations and line breaks would end the example.
    return re.sub(r"\s+", " ", text).replace("[", "【").replace("]", "】").replace("{", "｛").replace("}", "｝")


def annotate(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """One example in Rasa's markup: [text]{"entity": …, "value": …} for each placed entity."""
    spans = sorted((e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
                    and 0 <= e["start"] < e["end"] <= len(text)), key=lambda e: e["start"])
    out, pos = [], 0
    for e in spans:
        if e["start"] < pos:
            continue  # overlapping spans cannot both be marked up
        spec = json.dumps({"entity": e["entity"], "value": str(e["value"])}, ensure_ascii=False)
        out += [_plain(text[pos:e["start"]]), f"[{_plain(text[e['start']:e['end']])}]{spec}"]
        pos = e["end"]
    out.append(_plain(text[pos:]))
    return "".join(out).strip()


def training_example(text: str, entities: Sequence[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A correction's text and entities with phone and ID numbers zeroed; offsets stay valid (one
    character for one)."""
    return mask_for_training(text), [{**e, "value": mask_for_training(str(e.get("value", "")))} for e in entities]


def export_yaml(rows: Iterable[NluCorrection]) -> str:
    """Corrections as a Rasa 3.x NLU file: one `- intent:` block per intent, examples de-duplicated."""
    by_intent: dict[str, list[str]] = {}
    for row in rows:
        line = annotate(*training_example(row.text, row.entities or []))
        if line and line not in by_intent.setdefault(row.intent, []):
            by_intent[row.intent].append(line)
    lines = ['version: "3.1"', "", "# Corrections made by community staff in the console.", "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
