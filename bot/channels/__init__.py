"""Transports between residents and the dialogue engine (REST, Telegram, WeChat), one module or package each.

A channel depends on the dialogue layer, never the other way round; this package exports nothing itself.
"""

__all__: list[str] = []
