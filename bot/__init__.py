"""Linli runtime: channels, dialogue, NLU, backend, console and CLI."""

__all__: list[str] = []
