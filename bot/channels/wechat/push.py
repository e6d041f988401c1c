"""Pushing outbox messages to Official Account followers: staff replies, status changes, reminders, ratings.

WeChat lets an account write to a follower through the customer-service message API only within 48 hours of
the follower's last message (or menu click, or follow). After that, the configured template message
(WECHAT_MP_TEMPLATE_ID, one field `content`) carries the text; without one the push fails with a line
staff read in the console ("超过48小时客服窗口，无法主动推送") and the message stays in the transcript.

The outcomes, in the outbox sender's terms (bot.channels.sender):
    delivered             the call succeeded
    RecipientGone         the resident unfollowed (43004): pushing stops until they write again
    Undeliverable         the window is closed and no template is set: failed at once, with the reason
    BackendUnavailable    WeChat is unreachable or refused: retried with backoff, then failed
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import requests
from sqlalchemy import func, select
from wechatpy.exceptions import WeChatClientException

from bot.backend.models import ChannelIdentity, Conversation, Message, utcnow
from bot.bootstrap import Runtime
from bot.channels.sender import RecipientGone, Undeliverable
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.common import written_out
from bot.channels.wechat.split import split_text
from bot.channels.wechat.texts import text
from bot.dialogue.domain import Reply
from bot.errors import BackendUnavailable

log = logging.getLogger(__name__)
CHANNEL = "wechat"
WINDOW = dt.timedelta(hours=48)
# 45015: the customer-service window is closed; 45047: too many messages since the follower last wrote.
WINDOW_ERRORS = frozenset({45015, 45047})
UNFOLLOWED = 43004
TEMPLATE_VALUE_CHARS = 200  # template fields are short: a longer text is cut, the transcript keeps it all


class MpPush:
    """The outbox sender's `deliver` for the Official Account."""

    def __init__(self, runtime: Runtime, api: WeChatApi) -> None:
        self.runtime = runtime
        self.api = api
        self.template_id = runtime.settings.wechat_mp_template_id

    async def __call__(self, chat_id: str, sender: str, replies: Sequence[Reply]) -> None:
        """Deliver the replies to one follower (chat id and sender are both the OpenID)."""
        body = "\n\n".join(r.text.strip() for r in written_out(replies, self.runtime.dialogue) if r.text.strip())
        if not body:
            return
        try:
            if await self.window_open(sender):
                try:
                    for part in split_text(body):
                        await self._custom(chat_id, part)
                    return
                except WeChatClientException as exc:
                    if exc.errcode not in WINDOW_ERRORS:
                        raise
                    log.info("wechat mp: customer-service window closed by WeChat's count (%s)", exc.errcode)
            await self._template(chat_id, body)
        except WeChatClientException as exc:
            if exc.errcode == UNFOLLOWED:
                raise RecipientGone("the resident unfollowed the account") from exc
            raise BackendUnavailable(f"wechat: {exc.errcode} {exc.errmsg}") from exc
        except requests.RequestException as exc:
            raise BackendUnavailable(f"wechat unreachable: {type(exc).__name__}") from exc

    async def _custom(self, openid: str, part: str) -> None:
        """One customer-service text message (allowed while the 48-hour window is open)."""
        await self.api.call(lambda c: c.message.send_text(openid, part))

    async def _template(self, openid: str, body: str) -> None:
        """The message as a template message, the only kind allowed once the window has closed."""
        if not self.template_id:
            raise Undeliverable(text("window_closed"))
        content = body if len(body) <= TEMPLATE_VALUE_CHARS else body[: TEMPLATE_VALUE_CHARS - 1] + "…"
        data = {"first": {"value": text("template_title")}, "content": {"value": content}}
        await self.api.call(lambda c: c.message.send_template(openid, self.template_id, data))

    async def window_open(self, openid: str) -> bool:
        """Whether the follower wrote (or clicked, or followed) within the last 48 hours.

        Messages are stamped by the database's real clock, so the window is measured by it too.
        """
        async with self.runtime.sessionmaker() as session:
            stmt = (select(func.max(Message.created_at))
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
                    .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == openid,
                           Message.direction == "in"))
            last = (await session.execute(stmt)).scalar_one_or_none()
        if last is None:
            return False
        if last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        return utcnow() - last < WINDOW
