"""Handing a work order to whoever does the work (a department, a grid worker), shared by staff front ends.

Assigning is how a 接诉即办 request is accepted: an order still 待受理 becomes 已受理 through the normal
status change, so its history shows who took it, and the resident hears who is handling it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.backend import workorders
from bot.backend.models import Conversation, StaffUser, WorkOrder
from bot.backend.outbox import notify
from bot.backend.staff_actions import audit
from bot.backend.statuses import WorkOrderStatus
from bot.backend.wording import say
from bot.errors import InvalidInput

MAX_ASSIGNEE = 64


def assigned_notice(number: str, assignee: str, reassigned: bool) -> str:
    """What the resident is told when their work order is handed to someone."""
    return say("work_order_reassigned" if reassigned else "work_order_assigned", number=number, assignee=assignee)


async def assign(session: AsyncSession, order: WorkOrder, staff: StaffUser, assignee: str) -> bool:
    """Give the order to `assignee` (False if it already has it); InvalidInput for no name or a finished order."""
    assignee = " ".join(assignee.split())
    if not assignee or len(assignee) > MAX_ASSIGNEE:
        raise InvalidInput("assignee must be 1-64 characters")
    if order.status in workorders.CLOSED:
        raise InvalidInput(f"work order is {order.status}")
    before = order.assignee
    if before == assignee:
        return False
    order.assignee = assignee
    status = WorkOrderStatus.ACCEPTED if order.status == WorkOrderStatus.PENDING else order.status
    note = f"改派给{assignee}" if before else f"分派给{assignee}"
    await workorders.change_status(session, order, status, note=note, actor=staff.username)
    audit(session, staff, "assign", "work_order", order.number, assignee=assignee, before=before, status=status)
    conv = await session.get(Conversation, order.conversation_id) if order.conversation_id else None
    if conv is not None:
        await notify(session, conv, assigned_notice(order.number, assignee, bool(before)), kind="status")
    return True
