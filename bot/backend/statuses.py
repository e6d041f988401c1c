"""The statuses of work orders, bookings, escalations, rating follow-ups and console jobs, one enumeration each.

The values are the Chinese labels stored in the database and shown to residents and staff (a StrEnum
member is the string itself), so rows written before the enumerations existed read the same and no
migration is needed. What each status allows (which moves, which are open) lives with the records:
`bot.backend.workorders`, `bot.backend.escalations`, `bot.backend.rating_review`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["USED_BOOKING_STATUSES", "BookingStatus", "EscalationStatus", "FollowUpStatus", "JobStatus",
           "WorkOrderStatus"]


class WorkOrderStatus(StrEnum):
    """A 接诉即办 work order, from filed to finished."""

    PENDING = "待受理"
    ACCEPTED = "已受理"
    IN_PROGRESS = "处理中"
    DONE = "已办结"
    CLOSED = "已关闭"


class BookingStatus(StrEnum):
    """A booking of a service slot; once its time has come staff mark whether the resident came."""

    BOOKED = "已预约"
    CANCELLED = "已取消"
    SERVED = "已到场"
    NO_SHOW = "未到场"


class EscalationStatus(StrEnum):
    """A conversation handed to staff: waiting for someone, taken, handed back, or closed with an outcome."""

    WAITING = "待处理"
    IN_PROGRESS = "处理中"
    RELEASED = "已释放"
    CLOSED = "已关闭"


class FollowUpStatus(StrEnum):
    """The follow-up of a poor rating: to visit, visited, put right."""

    TO_VISIT = "待回访"
    VISITED = "已回访"
    PUT_RIGHT = "已整改"


class JobStatus(StrEnum):
    """A long console task (retraining, reindexing): running, finished, or failed (or its process died)."""

    RUNNING = "运行中"
    DONE = "完成"
    FAILED = "失败"


# A booking whose time has come was used unless it was cancelled or the resident did not come: these
# are asked for a rating and counted in satisfaction coverage (bot.backend.ratings, bot.backend.figures).
USED_BOOKING_STATUSES = (BookingStatus.BOOKED, BookingStatus.SERVED)
