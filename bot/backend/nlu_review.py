"""Staff review of what the assistant did not understand well, and its export as Rasa NLU training data.

A resident message needs review when its intent confidence fell below the fallback threshold or the
assistant gave up (`nlu_fallback`). Staff pick the right intent and entities; the correction is kept as an
`NluCorrection` and exported as Rasa 3.x YAML that `linli train` (or Rasa itself) reads. The export
carries no resident's phone or ID number: they are zeroed in shape (`bot.masking.mask_for_training`),
in the text and in the entity values alike.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Conversation, Message, NluCorrection, StaffUser
from bot.backend.staff_actions import audit
from bot.errors import InvalidInput, NotFound
from bot.masking import mask_for_training, mask_personal_data

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class ReviewItem:
    """A message to review with the community it came from; `why` says what suggests it was misread."""

    message: Message
    community_id: int
    why: str | None = None  # None: its confidence was low; else one of SUSPICIONS


# Signs that a confidently understood message was misread, read from what happened next in the
# conversation. The keys are kept on the item; the console shows their labels (texts.yml `suspicions`).
SUSPICIONS = ("asked_for_human", "said_wrong", "rephrased", "staff_answered")
CUES_FILE = Path(__file__).with_name("review_cues.yml")
# How soon the next message must follow to count as a reaction to the answer, and how alike two
# messages must be (shared characters) to count as the same question asked again: 低保怎么办 and
# 居住证怎么办 share 怎么办 (0.375) and are two questions.
REACTION_WINDOW = dt.timedelta(minutes=10)
REPHRASE_SIMILARITY = 0.5
RECENT_MESSAGES = 3000
# Intents after which staff step in or a person is asked for by design (a hand-over, a danger, a poor
# rating, a late order chased): what follows them is no sign of a misreading.
HANDED_OVER_BY_DESIGN = frozenset({"request_human", "emergency", "rate_service", "check_status"})


@lru_cache(maxsize=4)
def correction_cues(path: Path = CUES_FILE) -> tuple[str, ...]:
    """What residents say when the assistant misread them (不对, 我不是问这个…)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(c) for c in data.get("corrections", []))


def _chars(text: str) -> set[str]:
    return {c for c in text if c.isalnum()}


def similarity(a: str, b: str) -> float:
    """Shared characters over all of them (Jaccard): 1.0 for the same words, 0 for nothing in common.

    Characters rather than character pairs: a resident asking again reorders the words (高龄津贴去哪领 →
    在哪里领高龄津贴), which breaks pairs but keeps the characters.
    """
    ca, cb = _chars(a), _chars(b)
    return len(ca & cb) / len(ca | cb) if ca | cb else 0.0


def _services(message: Message) -> set[str]:
    entities = (message.parse or {}).get("entities", [])
    return {str(e.get("value")) for e in entities if isinstance(e, dict) and e.get("entity") == "service"}


def _asked_again(message: Message, nxt: Message) -> bool:
    """The same question once more: mostly the same words, or the same service under another intent."""
    if similarity(message.text, nxt.text) >= REPHRASE_SIMILARITY:
        return True
    return bool(_services(message) & _services(nxt)) and nxt.intent != message.intent


def suspicion(message: Message, after: Sequence[Message], cues: Sequence[str]) -> str | None:
    """Why `message` looks misread given the conversation's next messages (`after`, in order), if it does.

    Only the reaction to this answer counts: staff messages and the resident's next message, if it came
    within REACTION_WINDOW.
    """
    if message.intent in HANDED_OVER_BY_DESIGN:
        return None
    for nxt in after:
        if nxt.direction == "out" and nxt.sender == "staff":
            return "staff_answered"
        if nxt.direction != "in":
            continue
        if nxt.created_at - message.created_at > REACTION_WINDOW:
            return None
        if nxt.intent == "request_human":
            return "asked_for_human"
        if any(cue in nxt.text for cue in cues):
            return "said_wrong"
        if _asked_again(message, nxt):
            return "rephrased"
        return None
    return None


async def suspected_wrong(session: AsyncSession, staff: StaffUser, threshold: float, *,
                          limit: int = 100) -> list[ReviewItem]:
    """Unreviewed messages understood confidently but followed by a sign of a misreading, newest first.

    A low confidence is only half of what goes wrong: a message read with confidence as the wrong thing
    is answered wrongly without a fallback, and only the resident's reaction shows it.
    """
    stmt = (select(Message, Conversation.community_id).join(Conversation, Conversation.id == Message.conversation_id)
            .order_by(Message.id.desc()).limit(RECENT_MESSAGES))
    rows = (await session.execute(_visible(stmt, staff))).all()
    by_conversation: dict[int, list[Message]] = {}
    community: dict[int, int] = {}
    for m, c in reversed(rows):
        by_conversation.setdefault(m.conversation_id, []).append(m)
        community[m.conversation_id] = c
    cues = correction_cues()
    found: list[ReviewItem] = []
    for conv_id, messages in by_conversation.items():
        for i, m in enumerate(messages):
            if (m.direction != "in" or m.reviewed or m.intent in (None, FALLBACK_INTENT)
                    or m.confidence is None or m.confidence < threshold):
                continue
            why = suspicion(m, messages[i + 1:], cues)
            if why is not None:
                found.append(ReviewItem(m, community[conv_id], why))
    found.sort(key=lambda item: item.message.id, reverse=True)
    return found[:limit]


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
