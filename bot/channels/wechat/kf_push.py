"""Pushing outbox messages to WeCom customer-service (微信客服) customers, within WeCom's rules.

WeCom's rules, and what this does about each:

- After a customer's message the account may send at most 5 messages within 48 hours; the count starts
  again when the customer writes again. Beyond it `kf/send_msg` fails (95001 too many, 95002 too late).
  The count is taken from the database (the turn replies stored since the customer's last message and the
  pushes sent since), so every process sees the same count; a push that would go beyond it fails at once
  with a line staff read in the console, and is not retried: only the customer's next message helps.
- The API may write only while the session is new (0) or with the assistant (1). An escalated session is
  queued for WeCom's human agents (2) or taken by one (3). A console reply to a queued session takes it back
  (the staff member answering is the human agent); one taken by an agent in WeCom cannot be written into,
  and fails with a line saying to answer in WeCom.
- When staff hand the conversation back to the assistant (bot.backend.staff_actions.hand_back), the
  conversation is no longer in `handoff` and a status message is queued. Its push, like any push, finds
  the WeCom session still with humans and returns it to the assistant (1); where WeCom does not allow that
  (an agent has it), the session is ended, so the customer's next message opens one the assistant answers.
  The channel learns of the hand-back from the database it already reads, and the backend never imports it.

The outcomes, in the outbox sender's terms (bot.channels.sender): delivered; Undeliverable (limit reached,
window closed, an agent has the session: failed at once with the reason, the customer stays reachable);
RecipientGone (95017: WeCom will not let the account write to this customer any more); BackendUnavailable
(WeCom unreachable or another refusal: retried with backoff).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from bot.backend.models import ChannelIdentity, Conversation, Message, Outbox, utcnow
from bot.bootstrap import Runtime
from bot.channels.sender import RecipientGone, Undeliverable
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.split import split_text
from bot.channels.wechat.texts import text
from bot.dialogue.domain import Button, Reply
from bot.errors import BackendUnavailable

log = logging.getLogger(__name__)
CHANNEL = "wecom"
MENU_HEAD_BYTES = 1024  # a msgmenu's head_content
MENU_ID_BYTES = 128
# WeCom's session states (kf/service_state/get).
NEW, WITH_ASSISTANT, QUEUED_FOR_HUMAN, WITH_HUMAN, ENDED = 0, 1, 2, 3, 4
API_MAY_SEND = frozenset({NEW, WITH_ASSISTANT})
WINDOW = dt.timedelta(hours=48)
MAX_SENDS = 5
# 95001: more messages than allowed since the customer wrote; 95002: the 48 hours are over.
TOO_MANY, TOO_LATE = 95001, 95002
# 95016: the session may not change to that state. 95018: the session's state does not allow the API to
# write (queued, with an agent, or ended); 95017: the account may not write to this customer any more.
STATE_UNCHANGED, GONE, SESSION_STATE = 95016, 95017, 95018


def messages_of(reply: Reply) -> list[dict[str, Any]]:
    """The kf/send_msg bodies for one reply (without the addressee): each counts towards WeCom's limit."""
    body = reply.text.strip()
    if not reply.buttons:
        return [{"msgtype": "text", "text": {"content": part}} for part in split_text(body or text("choose"))]
    parts = split_text(body, MENU_HEAD_BYTES) if body else [text("choose")]
    head = parts.pop()
    out: list[dict[str, Any]] = [{"msgtype": "text", "text": {"content": p}} for p in parts]
    items = [{"type": "click", "click": {"id": _menu_id(b.payload, n), "content": b.title}}
             for n, b in enumerate(reply.buttons, 1)]
    out.append({"msgtype": "msgmenu", "msgmenu": {"head_content": head, "list": items}})
    return out


def _menu_id(payload: str, number: int) -> str:
    """The button's payload where it fits a menu id; else its number, which the engine picks by as well."""
    return payload if len(payload.encode("utf-8")) <= MENU_ID_BYTES else str(number)


def _count(text_: str, buttons: list[Any] | None) -> int:
    """How many send_msg calls a stored message took (or takes)."""
    return len(messages_of(Reply(text_, [Button(str(b["title"]), str(b["payload"])) for b in buttons or []])))


@dataclass
class Allowance:
    """What WeCom still allows towards one customer, as the database knows it."""

    in_handoff: bool  # the conversation is with staff (not handed back to the assistant)
    last_wrote: dt.datetime | None  # the customer's last message
    used: int  # send_msg calls since then

    def refusal(self, needed: int) -> str | None:
        """Why `needed` more messages may not be sent now, or None when they may."""
        if self.last_wrote is None or utcnow() - self.last_wrote >= WINDOW:
            return text("window_closed")
        if self.used + needed > MAX_SENDS:
            return text("kf_limit_reached", limit=str(MAX_SENDS))
        return None


class KfPush:
    """The outbox sender's `deliver` for WeCom customer service: chat id is the open_kfid."""

    def __init__(self, runtime: Runtime, api: WeChatApi) -> None:
        self.runtime = runtime
        self.api = api

    async def __call__(self, chat_id: str, sender: str, replies: Sequence[Reply]) -> None:
        """Deliver pushed replies to one customer, or fail with the reason WeCom's rules give."""
        bodies = [m for r in replies for m in messages_of(r)]
        if not bodies:
            return
        try:
            allowance = await self.allowance(sender)
            state = await self.state(chat_id, sender)
            if state not in API_MAY_SEND and not allowance.in_handoff:
                state = await self.return_to_assistant(chat_id, sender, state)
            reason = allowance.refusal(len(bodies))
            if reason is not None:
                raise Undeliverable(reason)
            if state == QUEUED_FOR_HUMAN:
                state = await self.take_back(chat_id, sender)
            if state not in API_MAY_SEND:
                raise Undeliverable(text("kf_with_agent" if state in (QUEUED_FOR_HUMAN, WITH_HUMAN)
                                         else "kf_session_ended"))
            for body in bodies:
                await self.api.post("kf/send_msg", {"touser": sender, "open_kfid": chat_id, **body})
        except WeChatClientException as exc:
            raise _outcome(exc) from exc
        except requests.RequestException as exc:
            raise BackendUnavailable(f"wecom unreachable: {type(exc).__name__}") from exc

    async def state(self, open_kfid: str, user: str) -> int:
        """The session's state in WeCom."""
        got = await self.api.post("kf/service_state/get", {"open_kfid": open_kfid, "external_userid": user})
        return int(got.get("service_state") or 0)

    async def _trans(self, open_kfid: str, user: str, state: int) -> bool:
        """Move the session to a state; False when WeCom does not allow that move from where it is."""
        try:
            await self.api.post("kf/service_state/trans",
                                {"open_kfid": open_kfid, "external_userid": user, "service_state": state})
        except WeChatClientException as exc:
            if exc.errcode == STATE_UNCHANGED:
                return False
            raise
        return True

    async def return_to_assistant(self, open_kfid: str, user: str, state: int) -> int:
        """Staff handed the conversation back: the session goes to the assistant, or else is ended."""
        if state in (QUEUED_FOR_HUMAN, WITH_HUMAN):
            if await self._trans(open_kfid, user, WITH_ASSISTANT):
                log.info("wecom kf: a handed-back session of %s is with the assistant again", open_kfid)
                return WITH_ASSISTANT
            if await self._trans(open_kfid, user, ENDED):
                log.info("wecom kf: a handed-back session of %s was ended; the next message opens a new one",
                         open_kfid)
                return ENDED
        return state

    async def take_back(self, open_kfid: str, user: str) -> int:
        """A console reply to a session waiting for WeCom's agents: the replying staff member takes it."""
        if await self._trans(open_kfid, user, WITH_ASSISTANT):
            return WITH_ASSISTANT
        return await self.state(open_kfid, user)

    async def allowance(self, user: str) -> Allowance:
        """The customer's last message and what was sent since, from the stored transcript and outbox.

        Sent since the customer wrote: the replies of the turns after that message (the transcript's outgoing
        messages that no outbox row pushed) and the pushes marked sent since. A turn reply WeCom refused at
        once is queued as a `reply` row and counted as a turn reply, not twice.
        """
        async with self.runtime.sessionmaker() as session:
            convs = (await session.execute(
                select(Conversation.id, Conversation.status)
                .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
                .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == user)
                .order_by(Conversation.id))).all()
            if not convs:
                return Allowance(False, None, 0)
            ids = [c.id for c in convs]
            in_handoff = convs[-1].status == "handoff"
            last = (await session.execute(
                select(Message.id, Message.created_at)
                .where(Message.conversation_id.in_(ids), Message.direction == "in")
                .order_by(Message.id.desc()).limit(1))).first()
            if last is None:
                return Allowance(in_handoff, None, 0)
            since = _aware(last.created_at)
            out = (await session.execute(
                select(Message.text, Message.buttons)
                .where(Message.conversation_id.in_(ids), Message.direction == "out", Message.id > last.id))).all()
            rows = (await session.execute(
                select(Outbox.text, Outbox.buttons, Outbox.status, Outbox.created_at, Outbox.sent_at)
                .where(Outbox.conversation_id.in_(ids), Outbox.kind != "reply",
                       (Outbox.created_at >= since) | (Outbox.sent_at >= since)))).all()
        pushed = Counter(r.text for r in rows if _aware(r.created_at) >= since)
        used = 0
        for m in out:
            if pushed[m.text] > 0:
                pushed[m.text] -= 1  # a push's copy in the transcript: counted below if it was sent
            else:
                used += _count(m.text, m.buttons)
        used += sum(_count(r.text, r.buttons) for r in rows
                    if r.status == "sent" and r.sent_at is not None and _aware(r.sent_at) >= since)
        return Allowance(in_handoff, since, used)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _outcome(exc: WeChatClientException) -> Exception:
    """WeCom's refusal in the outbox sender's terms."""
    if exc.errcode == TOO_MANY:
        return Undeliverable(text("kf_limit_reached", limit=str(MAX_SENDS)))
    if exc.errcode == TOO_LATE:
        return Undeliverable(text("window_closed"))
    if exc.errcode == SESSION_STATE:
        return Undeliverable(text("kf_session_state"))
    if exc.errcode == GONE:
        return RecipientGone(f"wecom: {exc.errcode} {exc.errmsg}")
    return BackendUnavailable(f"wecom: {exc.errcode} {exc.errmsg}")
