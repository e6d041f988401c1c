"""Which of a resident's work orders or bookings their words point at: 水管那个, 路灯的工单, 助浴的预约.

Residents rarely read out a number; they name the matter. A ticket is picked by the two-character
pieces its words share with what the resident said (description, place, service, category), counting
only the pieces that tell the candidates apart. Two-character pieces need no word segmenter (jieba's
dictionary costs 70 MB and a second to load) and match however the resident split the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from actions.common import Context, format_clock, format_day
from actions.runtime import ActionServices
from bot.backend.models import Booking, WorkOrder
from bot.text import CJK

T = TypeVar("T")
# Words that say a number belongs to a booking, or to a work order (报修、投诉).
BOOKING_WORDS = re.compile(r"预约|约的|约了|订的|报的名")
ORDER_WORDS = re.compile(r"工单|报修|报的(?!名)|投诉|反映|维修|来修|没修|修好|修了")
# Pieces every ticket question has, which point at no ticket in particular.
_META = {"工单", "预约", "报修", "反映", "进度", "怎么", "么样", "一下", "那个", "这个", "事情", "问题", "情况",
         "上次", "之前", "上个", "个月", "催办", "撤单", "取消", "撤回", "处理"}
_RUN = re.compile(f"[{CJK}A-Za-z0-9]+")


def pieces(text: str) -> set[str]:
    """The two-character pieces of a text (single characters of a one-character run)."""
    out: set[str] = set()
    for run in _RUN.findall(text):
        out.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return out


def pick(text: str, items: Sequence[T], describe: Callable[[T], str]) -> list[T]:
    """The items the words point at best, or [] when they point at none in particular."""
    said = pieces(text) - _META
    if not said or not items:
        return []
    described = [pieces(describe(i)) for i in items]
    shared = set.intersection(*described) if len(described) > 1 else set()
    scores = [len((d - shared) & said) for d in described]
    best = max(scores)
    return [] if best == 0 else [i for i, s in zip(items, scores, strict=True) if s == best]


def describe_order(services: ActionServices, order: WorkOrder) -> str:
    """What a resident may call a work order: its description, place, service and category."""
    svc = services.catalog.get(order.service_id) if order.service_id else None
    return " ".join(filter(None, (order.description, order.location, svc.name if svc else "", order.category)))


def describe_booking(services: ActionServices, booking: Booking) -> str:
    """What a resident may call a booking: its service's name and everyday names."""
    svc = services.catalog.get(booking.service_id)
    return " ".join([svc.name, *svc.aliases]) if svc else booking.service_id


def order_summary(order: WorkOrder) -> str:
    """The first words of a work order's description, to recognise it by."""
    text = " ".join(order.description.split())
    return text if len(text) <= 20 else text[:20] + "…"


def booking_when(services: ActionServices, booking: Booking, ctx: Context) -> str:
    """A booking's service, day and time in plain words: 助浴上门服务，12月15日（周二） 09:00."""
    svc = services.catalog.get(booking.service_id)
    tz = ctx.community.timezone
    today = services.local_now(ctx.community.code).date()
    start = booking.slot.start_at
    day = start.astimezone(ZoneInfo(tz)).date()
    return f"{svc.name if svc else booking.service_id}，{format_day(day, today)} {format_clock(start, tz)}"


def said_text(tracker: Tracker) -> str:
    """The resident's words of this turn (a button press has none)."""
    text = str(tracker.latest_message.get("text") or "")
    return "" if text.startswith("/") else text


def named_service(tracker: Tracker) -> str | None:
    """The service the message names, if the NLU tagged one."""
    return next(tracker.get_latest_entity_values("service"), None)
