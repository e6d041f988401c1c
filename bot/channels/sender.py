"""The outbox sender: pushes staff replies, status changes, reminders and rating requests to residents.

It also queues the booking messages that nobody asks for: a reminder the day before a booking and a
rating request once it is over. Every step is a database fact (the outbox row, `reminder_sent`,
`rating_requested`), so a restart loses and repeats nothing. Rows are claimed by one sender at a time
(see `outbox.claim_due`), several processes can drain one outbox; a crash mid-send makes the row due
again after its lease rather than lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import update

from bot.backend import outbox
from bot.backend.models import ChannelIdentity, Conversation, Outbox, utcnow
from bot.bootstrap import Runtime
from bot.dialogue import reminders
from bot.dialogue.domain import Button, Reply
from bot.errors import BackendUnavailable, LinliError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Rows claimed per round. A claimed row not marked sent within the lease (OUTBOX_LEASE_SECONDS) is due again:
# its sender died. A message in flight at that moment may then reach the resident twice; none is lost.
BATCH = 50


class RecipientGone(LinliError):
    """The resident cannot be reached on this channel any more (blocked the bot, left the chat)."""


class Undeliverable(LinliError):
    """This message cannot be pushed now and retrying will not help (WeChat's 48-hour window has closed and
    no template is configured): it fails at once with the reason for staff, the resident stays reachable."""


# Sends replies to (chat id, sender id); raises RecipientGone, Undeliverable or BackendUnavailable.
Deliver = Callable[[str, str, Sequence[Reply]], Awaitable[None]]


@dataclass
class _Pending:
    row_id: int
    identity_id: int
    chat_id: str | None
    external_id: str
    active: bool
    reply: Reply


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff between delivery attempts: 30 s, 1 min, 2 min … capped at 1 h."""
    return min(dt.timedelta(seconds=30 * 2**attempts), dt.timedelta(hours=1))


class OutboxSender:
    """Drains one channel's outbox rows and queues booking reminders and rating requests."""

    def __init__(
        self,
        runtime: Runtime,
        deliver: Deliver,
        *,
        channel: str = "telegram",
        interval: float = 2.0,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.runtime = runtime
        self.deliver = deliver
        self.channel = channel
        self.interval = interval
        self.clock = clock or runtime.services.clock
        self.lease = dt.timedelta(seconds=runtime.settings.outbox_lease_seconds)
        self._stop = asyncio.Event()
        self._claimed = 0

    async def run(self) -> None:
        """Loop until stopped; one bad round is logged, never fatal. A full batch is followed at once by
        the next, so a backlog drains at the channel's pace rather than one batch per interval."""
        while not self._stop.is_set():
            self._claimed = 0
            try:
                await self.tick()
            except Exception:
                log.exception("outbox round failed")
            if self._claimed >= BATCH:
                continue
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        """Ask the loop to finish after the current round."""
        self._stop.set()

    async def tick(self) -> int:
        """One round: queue what bookings call for, then send what is due; returns rows sent."""
        await self.queue_booking_messages()
        return await self.drain()

    async def drain(self) -> int:
        """Send the due rows; each is leased first so a crash mid-send makes it due again."""
        pending = await self._lease()
        sent = 0
        for item in pending:
            sent += await self._send_one(item)
        return sent

    async def _lease(self) -> list[_Pending]:
        out: list[_Pending] = []
        async with self.runtime.sessionmaker() as session, session.begin():
            # The outbox keeps its rows' times on the real clock (staff replies are stamped with it), so they
            # are claimed by that clock too; self.clock decides which bookings call for messages.
            rows = await outbox.claim_due(session, self.channel, now=utcnow(), lease=self.lease, limit=BATCH)
            self._claimed = len(rows)
            for row in rows:
                conv = await session.get(Conversation, row.conversation_id)
                if conv is None:
                    outbox.mark_failed(row, "conversation missing", retry_in=None, final=True)
                    continue
                identity = conv.identity
                buttons = [Button(str(b["title"]), str(b["payload"])) for b in (row.buttons or [])]
                out.append(
                    _Pending(
                        row.id,
                        identity.id,
                        identity.chat_id,
                        identity.external_id,
                        identity.active,
                        Reply(row.text, buttons),
                    )
                )
        return out

    async def _send_one(self, item: _Pending) -> int:
        error: str | None = None
        gone = final_now = False
        if not item.active or not item.chat_id:
            error, gone = "resident unreachable on this channel", True
        else:
            try:
                await self.deliver(item.chat_id, item.external_id, [item.reply])
            except RecipientGone as exc:
                error, gone = str(exc) or "recipient gone", True
            except Undeliverable as exc:
                error, final_now = str(exc) or "undeliverable", True
            except BackendUnavailable as exc:
                error = str(exc) or "delivery failed"
        async with self.runtime.sessionmaker() as session, session.begin():
            row = await session.get(Outbox, item.row_id)
            assert row is not None
            if error is None:
                outbox.mark_sent(row)
                return 1
            if gone:
                await session.execute(
                    update(ChannelIdentity).where(ChannelIdentity.id == item.identity_id).values(active=False)
                )
            final = gone or final_now or row.attempts + 1 >= MAX_ATTEMPTS
            outbox.mark_failed(row, error, retry_in=retry_delay(row.attempts), final=final)
            log.warning("outbox %s not delivered (%s)%s", row.id, error, "; giving up" if final else "")
        return 0

    async def queue_booking_messages(self) -> int:
        """Queue tomorrow's reminders and finished bookings' rating requests; returns rows queued."""
        return await reminders.queue_booking_messages(self.runtime.services, self.clock())

