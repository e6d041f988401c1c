"""The dialogue layer: one transactional turn from a resident's message to replies, state and events.

Import `bot.dialogue.engine.DialogueEngine`; this package exports nothing itself so that importing a
submodule stays cheap.
"""

__all__: list[str] = []
