"""Per-community values in catalog text, and the community's opening hours.

Catalog text says `{service_center}` or `{hotline}` instead of an address or a number, because those
differ by place; `fill` puts in the community's own values before a resident sees the text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.backend.opening_hours import Interval, parse_hours
from knowledge.schema import CommunitySettings, Service

log = logging.getLogger("linli.knowledge")

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Placeholders every community has without listing them under `values`.
BUILTIN_PLACEHOLDERS = ("community_name", "community_address", "opening_hours")
# Said instead of an unknown placeholder, so a resident never reads `{xxx}`; validation reports it.
_FALLBACK = "社区服务中心"
# 《“十四五”城乡社区服务体系建设规划》：服务设施每天开放不少于8小时。
MIN_DAILY_OPEN_MINUTES = 8 * 60
_NOT_FILLED_KEYS = frozenset({"id"})


def placeholder_values(community: CommunitySettings) -> dict[str, str]:
    """Every placeholder a community can fill, built-ins included."""
    builtins = {
        "community_name": community.name,
        "community_address": community.address,
        "opening_hours": community.opening_hours.replace(",", "、"),
    }
    return {**builtins, **community.values}


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in a text, in order."""
    return PLACEHOLDER.findall(text)


def stray_braces(text: str) -> bool:
    """True when braces remain that are not a well-formed placeholder (a typo like `{hotline`)."""
    rest = PLACEHOLDER.sub("", text)
    return "{" in rest or "}" in rest


def fill(text: str, community: CommunitySettings) -> str:
    """Put the community's values into a catalog text."""
    if "{" not in text:
        return text
    values = placeholder_values(community)

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        log.warning("community %s has no value for placeholder {%s}", community.code, name)
        return _FALLBACK

    return PLACEHOLDER.sub(one, text)


def _fill_tree(obj: Any, community: CommunitySettings) -> Any:
    if isinstance(obj, str):
        return fill(obj, community)
    if isinstance(obj, dict):
        return {k: v if k in _NOT_FILLED_KEYS else _fill_tree(v, community) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill_tree(v, community) for v in obj]
    return obj


def render_service(service: Service, community: CommunitySettings) -> Service:
    """A copy of the service with every text field filled for this community."""
    return Service.model_validate(_fill_tree(service.model_dump(), community))


def open_minutes(intervals: list[Interval]) -> int:
    """Total open time of a day."""
    return sum(i.minutes for i in intervals)


def check_opening_hours(text: str, minimum_minutes: int = MIN_DAILY_OPEN_MINUTES) -> list[str]:
    """Problems with a community's daily opening hours, including the plan's 8-hour minimum."""
    try:
        intervals = parse_hours(text)
    except ValueError as exc:
        return [str(exc)]
    total = open_minutes(intervals)
    if total >= minimum_minutes:
        return []
    hours, minutes = divmod(total, 60)
    said = f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")
    need = minimum_minutes // 60
    return [
        f"开放时间“{text}”每天合计 {said}，不足 {need} 小时"
        f"（《“十四五”城乡社区服务体系建设规划》要求社区服务设施每天开放不少于{need}小时）"
    ]
