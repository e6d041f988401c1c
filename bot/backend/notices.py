"""Community notices (停水停电, 防灾预警, 疫苗接种, 活动通知): staff write one, every resident who has talked to
the assistant in the community gets it on their own channel through the outbox.

Who gets it:
- every resident with a conversation in the community, once (on the channel of their latest conversation
  there), or, when staff name a building (楼栋) or a village group (村民小组), those residents whose known
  addresses name it. The assistant knows a resident's address only from what they said: the location of
  their work orders and the address of their bookings. A resident who never gave one is left out of a
  narrowed notice (the console says so);
- residents who asked for no more notices (`Resident.notices_off`) are left out of ordinary notices, but an
  urgent one (every 防灾预警, and any other the staff mark 紧急, except an activity) reaches them too, as
  public emergency broadcasts reach every phone whatever its settings.

How it went: a push channel (Telegram, WeChat, WeCom) carries the notice in an outbox row tied to it, so the
notice's 已送达 / 待发送 / 发送失败 are those rows' sent / pending / failed; a web-chat resident has it in the
transcript at once (the chat shows it on its next poll), counted as delivered (`Notice.in_chat`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend.models import Booking, Community, Conversation, Notice, Outbox, Resident, StaffUser, WorkOrder
from bot.backend.outbox import PUSH_CHANNELS, notify
from bot.backend.staff_actions import audit
from bot.errors import InvalidInput
from bot.text import fold_width_case

TEXTS = Path(__file__).with_name("notice_texts.yml")
# Long enough for a water cut's when, where and why; short enough to read on a phone at a glance.
MAX_TEXT = 300
MAX_AREA = 64


@cache
def notice_texts() -> dict[str, Any]:
    """The wording of notices (notice_texts.yml), read once."""
    with open(TEXTS, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def kinds() -> dict[str, str]:
    """Kind id → its name (停水停电 …), in the order the form offers them."""
    return dict(notice_texts()["kinds"])


def is_urgent(kind: str, ticked: bool) -> bool:
    """Whether a notice is urgent: every 防灾预警; any other kind ticked 紧急, except an activity."""
    words = notice_texts()
    if kind in words["urgent_kinds"]:
        return True
    return ticked and kind not in words["never_urgent_kinds"]


def compose(community_name: str, kind: str, text: str, urgent: bool) -> str:
    """The text residents read: the urgent marker first, then the heading, the notice, and for an ordinary
    notice how to stop them."""
    words = notice_texts()
    heading = words["heading"].format(community=community_name, kind=words["kinds"][kind])
    body = f"{heading}{text}"
    return f"{words['urgent_marker']}{body}" if urgent else f"{body}\n{words['stop_hint']}"


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
_SEPARATORS = re.compile(r"[\s,，、·.。\-－]+")
_BUILDING = re.compile(r"(\d+)(?:号楼|号栋|栋楼|栋|幢)")
_GROUP = re.compile(r"第?(\d+)(?:村民小组|村民组|小组|组|队)")


def _cn_to_int(word: str) -> str:
    """二十三 → 23 (up to 99): enough for building and group numbers. Written here because the backend sits
    below the NLU's number parser and may not import it."""
    if "十" not in word:
        return "".join(str(_CN_DIGITS[c]) for c in word)
    tens, _, ones = word.partition("十")
    value = (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return str(value)


def normalise_place(text: str) -> str:
    """An address or area in one spelling: half-width, no spaces, digits for 三, and 3栋 / 3幢 / 三号楼 as
    3号楼, 第三村民小组 / 三组 / 3队 as 3组, so staff's 3号楼 finds a resident's 三号楼2单元."""
    folded = _SEPARATORS.sub("", fold_width_case(text))
    folded = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group(0)), folded)
    folded = _GROUP.sub(lambda m: f"{m.group(1)}组", folded)
    return _BUILDING.sub(lambda m: f"{m.group(1)}号楼", folded)


def names_area(address: str, area: str) -> bool:
    """Whether a resident's address lies in the building or group staff named (3号楼 is not in 13号楼)."""
    where, wanted = normalise_place(address), normalise_place(area)
    if not wanted:
        return False
    prefix = r"(?<!\d)" if wanted[0].isdigit() else ""
    return re.search(prefix + re.escape(wanted) + (r"(?!\d)" if wanted[-1].isdigit() else ""), where) is not None


@dataclass(frozen=True)
class Counts:
    """How a notice went: delivered (pushed, or in a web chat), waiting to be pushed, failed."""

    delivered: int = 0
    waiting: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """Residents the notice was sent to."""
        return self.delivered + self.waiting + self.failed


async def _addresses(session: AsyncSession, community_id: int, residents: Iterable[int]) -> dict[int, list[str]]:
    """What each resident said of where they live: work-order locations and booking addresses."""
    ids = list(residents)
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    orders = select(WorkOrder.resident_id, WorkOrder.location).where(
        WorkOrder.community_id == community_id, WorkOrder.resident_id.in_(ids), WorkOrder.location.is_not(None))
    bookings = select(Booking.resident_id, Booking.address).where(
        Booking.community_id == community_id, Booking.resident_id.in_(ids), Booking.address.is_not(None))
    for stmt in (orders, bookings):
        for resident_id, place in (await session.execute(stmt)).all():
            if place:
                out[resident_id].append(place)
    return out


async def audience(session: AsyncSession, community: Community, area: str | None) -> list[tuple[Conversation, bool]]:
    """Each resident with a conversation in the community, once, with their latest conversation there and
    whether they stopped notices; narrowed to those whose known addresses name `area` when given."""
    latest = (select(Conversation.resident_id, func.max(Conversation.id).label("conv_id"))
              .where(Conversation.community_id == community.id).group_by(Conversation.resident_id).subquery())
    stmt = (select(Conversation, Resident.notices_off)
            .join(latest, latest.c.conv_id == Conversation.id)
            .join(Resident, Resident.id == Conversation.resident_id)
            .order_by(Conversation.id))
    rows = [(conv, bool(off)) for conv, off in (await session.execute(stmt)).unique().all()]
    if not area:
        return rows
    known = await _addresses(session, community.id, (conv.resident_id for conv, _ in rows))
    return [(conv, off) for conv, off in rows if any(names_area(a, area) for a in known[conv.resident_id])]


async def send_notice(session: AsyncSession, staff: StaffUser | None, community: Community, *, kind: str,
                      text: str, urgent: bool = False, area: str | None = None) -> Notice:
    """Write the notice down and queue it for each resident in its audience (see the module docstring for
    who that is); the staff action is audited. Raises InvalidInput for an unknown kind or a bad text."""
    text, area = text.strip(), (area or "").strip() or None
    if kind not in kinds():
        raise InvalidInput(f"unknown notice kind {kind!r}")
    if not text:
        raise InvalidInput("a notice needs a text")
    if len(text) > MAX_TEXT or (area and len(area) > MAX_AREA):
        raise InvalidInput("notice text or area too long")
    urgent = is_urgent(kind, urgent)
    sent_text = compose(community.name, kind, text, urgent)
    notice = Notice(community_id=community.id, staff_id=staff.id if staff else None, kind=kind, urgent=urgent,
                    area=area, text=text, sent_text=sent_text, in_chat=0, opted_out=0)
    session.add(notice)
    await session.flush()
    for conv, off in await audience(session, community, area):
        if off and not urgent:
            notice.opted_out += 1
            continue
        await notify(session, conv, sent_text, kind="notice", sender="staff",
                     staff_id=staff.id if staff else None, notice_id=notice.id)
        if conv.channel not in PUSH_CHANNELS:
            notice.in_chat += 1
    audit(session, staff, "send_notice", "notice", notice.id, kind=kind, urgent=urgent, area=area or "",
          in_chat=notice.in_chat, opted_out=notice.opted_out)
    await session.flush()
    return notice


async def counts(session: AsyncSession, notices: Sequence[Notice]) -> dict[int, Counts]:
    """Delivered / waiting / failed per notice, from its outbox rows' statuses and its web-chat deliveries."""
    by_status: dict[int, dict[str, int]] = {n.id: {} for n in notices}
    if notices:
        stmt = (select(Outbox.notice_id, Outbox.status, func.count())
                .where(Outbox.notice_id.in_(list(by_status))).group_by(Outbox.notice_id, Outbox.status))
        for notice_id, status, n in (await session.execute(stmt)).all():
            if notice_id is not None:
                by_status[notice_id][status] = n
    return {n.id: Counts(delivered=n.in_chat + by_status[n.id].get("sent", 0),
                         waiting=by_status[n.id].get("pending", 0), failed=by_status[n.id].get("failed", 0))
            for n in notices}


async def recent(session: AsyncSession, community_ids: Sequence[int], limit: int = 50) -> list[Notice]:
    """The latest notices of these communities, newest first."""
    if not community_ids:
        return []
    stmt = (select(Notice).where(Notice.community_id.in_(list(community_ids)))
            .order_by(Notice.id.desc()).limit(limit))
    return list((await session.execute(stmt)).unique().scalars())


async def set_notices_off(session: AsyncSession, resident_id: int, off: bool) -> None:
    """A resident stops (or restarts) ordinary notices; urgent warnings reach them either way."""
    await session.execute(update(Resident).where(Resident.id == resident_id).values(notices_off=off))
