"""Telegram updates in, dialogue turns through the engine, replies out.

Every kind of update becomes an `InboundMessage` keyed by its update id, so a redelivered update is
answered once: the engine refuses the repeat by message id, and the channel does not resend.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Message, ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.backend import outbox, residents
from bot.backend.rate_limits import RateLimits
from bot.bootstrap import Runtime
from bot.channels.telegram.buttons import ButtonMemory, elderly_keyboard, inline_keyboard
from bot.channels.telegram.delivery import mark_blocked, with_retries
from bot.channels.telegram.groups import addressed, strip_mention
from bot.channels.telegram.ratelimit import FloodGuard, RecentIds
from bot.channels.telegram.texts import text
from bot.dialogue.domain import Reply
from bot.dialogue.engine import InboundMessage

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
CHANNEL = "telegram"
MAX_TEXT = 4000  # Telegram allows 4096 characters a message


def _chunks(body: str) -> list[str]:
    return [body[i : i + MAX_TEXT] for i in range(0, len(body), MAX_TEXT)] or [""]


class TelegramChannel:
    """The handlers of the Telegram bot, sharing the runtime and the channel's small memories."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.buttons = ButtonMemory(runtime.sessionmaker)
        limits = RateLimits(runtime.settings, runtime.db, runtime.services.clock)
        self.flood = FloodGuard(limits, runtime.settings.rate_limit_per_minute)
        self.seen = RecentIds()

    # --- gate -------------------------------------------------------------------------------------

    async def gate(self, update: Update, context: Context) -> None:
        """Drop repeats, updates we do not answer, group chatter not meant for us, and floods."""
        if not self.seen.first_time(update.update_id) or update.effective_user is None:
            raise ApplicationHandlerStop
        if update.message is None and update.callback_query is None:
            raise ApplicationHandlerStop  # edits, channel posts, joins: nothing to answer
        message = update.message
        if (
            message is not None
            and message.chat.type != ChatType.PRIVATE
            and not addressed(message, context.bot)
        ):
            raise ApplicationHandlerStop
        verdict = await self.flood.check(str(update.effective_user.id))
        if verdict == "ok":
            return
        if verdict == "warn":
            await self._say(update, context, text("flood"))
        raise ApplicationHandlerStop

    # --- commands ---------------------------------------------------------------------------------

    async def on_start(self, update: Update, context: Context) -> None:
        """/start: greet and show the main menu."""
        await self.converse(update, context, "/greet")

    async def on_help(self, update: Update, context: Context) -> None:
        """/help: what the assistant does and its commands."""
        await self._say(update, context, text("help"))

    async def on_human(self, update: Update, context: Context) -> None:
        """/human: hand the conversation to community staff."""
        await self.converse(update, context, "/request_human")

    async def on_elder(self, update: Update, context: Context) -> None:
        """/elder: switch big-button elderly mode on or off, then show the menu in the new style."""
        async with self.runtime.sessionmaker() as session, session.begin():
            identity = await self._identity(session, update)
            identity.resident.elderly_mode = not identity.resident.elderly_mode
            on = identity.resident.elderly_mode
        await self._say(
            update,
            context,
            text("elder_on" if on else "elder_off"),
            markup=None if on else ReplyKeyboardRemove(),
        )
        await self.converse(update, context, "/greet")

    # --- content ----------------------------------------------------------------------------------

    async def on_text(self, update: Update, context: Context) -> None:
        """Plain text (or a tapped reply-keyboard button) goes to the engine."""
        message = update.message
        assert message is not None and message.text is not None
        body = strip_mention(message.text, context.bot)
        sender = str(update.effective_user.id)  # type: ignore[union-attr]
        elderly = await self.is_elderly(sender)
        if elderly:
            body = await self.buttons.payload_for_title(sender, body) or body
        await self.converse(update, context, body, elderly=elderly)

    async def on_callback(self, update: Update, context: Context) -> None:
        """A pressed inline button: answer it, mark the choice, send its payload as the next message."""
        query = update.callback_query
        assert query is not None
        try:
            await with_retries(lambda: query.answer())
        except BadRequest:
            log.info("callback query %s too old to answer", query.id)
        payload = await self.buttons.payload_for_callback(str(query.from_user.id), query.data or "")
        if payload is None:
            await self._say(update, context, text("button_expired"))
            return
        await self._show_choice(query.message, query.data or "")
        await self.converse(update, context, payload)

    async def on_location(self, update: Update, context: Context) -> None:
        """A shared location answers "where?" as text and travels as metadata."""
        message = update.message
        assert message is not None and message.location is not None
        loc = f"{message.location.latitude:.6f},{message.location.longitude:.6f}"
        place = loc
        if message.venue is not None:
            place = f"{message.venue.title}（{message.venue.address}，{loc}）"
        await self.converse(update, context, text("location_text", location=place), {"location": loc})

    async def on_photo(self, update: Update, context: Context) -> None:
        """A photo travels by file id (the engine keeps it for its request); its caption is the message."""
        message = update.message
        assert message is not None and message.photo
        file_id = message.photo[-1].file_id
        caption = strip_mention(message.caption or "", context.bot) or text("photo_default")
        await self.converse(update, context, caption, {"photo": file_id})

    async def on_contact(self, update: Update, context: Context) -> None:
        """A shared contact card answers "your phone number?"."""
        message = update.message
        assert message is not None and message.contact is not None
        await self.converse(update, context, message.contact.phone_number)

    async def on_voice(self, update: Update, context: Context) -> None:
        """A voice note: transcribed when a speech-to-text service is set, else how to use voice input."""
        message = update.message
        assert message is not None
        audio = message.voice or message.audio
        url = self.settings.speech_to_text_url
        if audio is None or not url:
            await self._say(update, context, text("voice_hint"))
            return
        try:
            tg_file = await with_retries(lambda: context.bot.get_file(audio.file_id))
            data = bytes(await tg_file.download_as_bytearray())
            async with httpx.AsyncClient(timeout=20) as client:
                r = await client.post(
                    url, content=data, headers={"Content-Type": audio.mime_type or "audio/ogg"}
                )
                r.raise_for_status()
                heard = str(r.json().get("text") or "").strip()
        except (TelegramError, httpx.HTTPError, ValueError) as exc:
            log.warning("speech to text failed: %s", exc)
            heard = ""
        if not heard:
            await self._say(update, context, text("voice_failed"))
            return
        await self.converse(update, context, heard, {"voice": True})

    async def on_other(self, update: Update, context: Context) -> None:
        """Stickers, files and the rest: a friendly line saying what works."""
        await self._say(update, context, text("other_content"))

    async def on_error(self, update: object, context: Context) -> None:
        """Staff get the stack trace in the log; the resident gets one polite line."""
        log.error("telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, text("error"))
            except TelegramError:
                pass

    # --- turns and replies ------------------------------------------------------------------------

    async def converse(
        self, update: Update, context: Context, body: str, metadata: dict[str, Any] | None = None,
        *, elderly: bool | None = None,
    ) -> None:
        """One turn through the engine, then the replies (not again for a redelivered update); `elderly` is
        the resident's mode when the caller has just read it (a Telegram turn does not change it)."""
        user, chat = update.effective_user, update.effective_chat
        assert user is not None
        sender = str(user.id)
        chat_id = chat.id if chat is not None else user.id
        meta = dict(metadata or {})
        result = await self.runtime.dialogue.handle(
            InboundMessage(
                sender=sender,
                text=body,
                channel=CHANNEL,
                message_id=str(update.update_id),
                chat_id=str(chat_id),
                metadata=meta,
            )
        )
        if result.duplicate:
            return
        sent: list[Reply] = []
        try:
            await self.deliver(context.bot, chat_id, sender, result.replies, sent=sent, elderly=elderly)
        except Forbidden:
            await self._blocked(sender)
        except (NetworkError, RetryAfter) as exc:
            # The Bot API is unreachable now: the turn is done and Telegram will not redeliver a processed
            # update, so what was not sent goes to the outbox, whose sender retries with backoff.
            unsent = result.replies[len(sent):]
            log.warning("telegram replies not sent (%s); %d queued in the outbox", exc, len(unsent))
            async with self.runtime.sessionmaker() as session, session.begin():
                await outbox.queue_unsent(session, result.conversation_id, CHANNEL,
                                          [(r.text, [b.as_dict() for b in r.buttons]) for r in unsent], str(exc))

    async def deliver(self, bot: Bot, chat_id: int | str, sender: str, replies: Sequence[Reply],
                      sent: list[Reply] | None = None, *, elderly: bool | None = None) -> None:
        """Send replies in the resident's style (read unless `elderly` is given), adding each one sent to
        `sent`; raises Forbidden when the bot is blocked, NetworkError when the Bot API cannot be reached
        after retries."""
        if not replies:
            return
        done = sent if sent is not None else []
        if await self.is_elderly(sender) if elderly is None else elderly:
            markup, _ = elderly_keyboard([b for r in replies for b in r.buttons])
            for i, reply in enumerate(replies):
                await self._send(bot, chat_id, reply.text, markup if i == len(replies) - 1 else None)
                done.append(reply)
            return
        for reply in replies:
            inline = inline_keyboard(self.buttons, reply.buttons) if reply.buttons else None
            await self._send(bot, chat_id, reply.text, inline)
            done.append(reply)

    async def is_elderly(self, sender: str) -> bool:
        """Whether the resident chose big buttons, read from the database each time: the choice may have been
        made through another worker, and a cache here would keep the old keyboard style."""
        async with self.runtime.sessionmaker() as session:
            identity = await residents.find_identity(session, CHANNEL, sender)
            return bool(identity and identity.resident.elderly_mode)

    async def _send(self, bot: Bot, chat_id: int | str, body: str, markup: Any) -> None:
        parts = _chunks(body or text("choose"))
        for i, part in enumerate(parts):
            await self._send_part(bot, chat_id, part, markup if i == len(parts) - 1 else None)

    async def _send_part(self, bot: Bot, chat_id: int | str, part: str, markup: Any) -> None:
        await with_retries(lambda: bot.send_message(chat_id, part, reply_markup=markup))

    async def _say(self, update: Update, context: Context, body: str, markup: Any = None) -> None:
        user, chat = update.effective_user, update.effective_chat
        assert user is not None
        try:
            await self._send(context.bot, chat.id if chat is not None else user.id, body, markup)
        except Forbidden:
            await self._blocked(str(user.id))

    async def _blocked(self, sender: str) -> None:
        await mark_blocked(self.runtime.sessionmaker, sender)

    async def _show_choice(self, message: Any, data: str) -> None:
        """Replace the pressed keyboard by the chosen title, so one choice cannot be sent twice."""
        if not isinstance(message, Message) or not message.text or message.reply_markup is None:
            return
        titles = [
            b.text for row in message.reply_markup.inline_keyboard for b in row if b.callback_data == data
        ]
        if not titles:
            return
        try:
            await with_retries(
                lambda: message.edit_text(f"{message.text}\n\n{text('button_chosen', title=titles[0])}")
            )
        except BadRequest:
            log.info("could not mark the chosen button on message %s", message.message_id)

    async def _identity(self, session: AsyncSession, update: Update) -> Any:
        user, chat = update.effective_user, update.effective_chat
        assert user is not None
        identity = await residents.find_identity(session, CHANNEL, str(user.id))
        if identity is not None:
            return identity
        code = self.settings.default_community
        known = self.runtime.services.communities.get(code)
        community = await residents.ensure_community(session, code, known.name if known else code)
        return await residents.ensure_identity(
            session, CHANNEL, str(user.id), community, str(chat.id) if chat is not None else None
        )
