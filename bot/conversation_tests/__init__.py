"""Conversation tests: whole conversations as data, played through the real engine on a fixed clock."""

from bot.conversation_tests.report import as_text, summary
from bot.conversation_tests.runner import SUITE_DATES, FixedClock, Harness, Outcome
from bot.conversation_tests.spec import Conversation, load_conversations

__all__ = ["SUITE_DATES", "Conversation", "FixedClock", "Harness", "Outcome", "as_text", "load_conversations",
           "summary"]
