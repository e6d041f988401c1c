"""Group chats: the bot answers only messages meant for it, and reads them without its own @name."""

from __future__ import annotations

import re

from telegram import Bot, Message, MessageEntity


def addressed(message: Message, bot: Bot) -> bool:
    """In a group, whether the message mentions the bot, replies to it, or is a command."""
    reply_to = message.reply_to_message
    if reply_to is not None and reply_to.from_user is not None and reply_to.from_user.id == bot.id:
        return True
    if message.text and message.text.startswith("/"):
        return True
    mentions = {
        **message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]),
        **message.parse_caption_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]),
    }
    username = (bot.username or "").lower()
    return any(
        (e.user is not None and e.user.id == bot.id) or (username and t.lower() == f"@{username}")
        for e, t in mentions.items()
    )


def strip_mention(body: str, bot: Bot) -> str:
    """The text without "@ourbot", so the NLU reads only what the resident said."""
    username = bot.username or ""
    if username:
        body = re.sub(rf"@{re.escape(username)}\b", "", body, flags=re.IGNORECASE)
    return body.strip()
