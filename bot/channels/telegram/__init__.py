"""The Telegram channel: long polling (`linli telegram`) or the webhook mounted on the HTTP app.

Importing this package is cheap: python-telegram-bot is imported only when a bot token is set and
an app or the polling runner is being built.
"""

from __future__ import annotations

from typing import Any


def mount_webhook(app: Any, runtime: Any) -> None:
    """Add `POST /telegram/webhook` to apps whose settings carry a bot token."""
    if runtime.settings.telegram_bot_token is None:
        return
    from bot.channels.telegram.webhook import install

    install(app, runtime)


__all__ = ["mount_webhook"]
