"""Natural-language understanding: an embedded engine in Rasa's parse shape, or a Rasa server.

Importing this package is cheap: models load only when `build_parser` or `EmbeddedNlu.load` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.nlu.types import EntityDict, IntentScore, NluParser, ParseResult

if TYPE_CHECKING:
    from pathlib import Path

    from bot.config import Settings
    from bot.nlu.engine import EmbeddedNlu
    from bot.nlu.rasa_backend import RasaHttpNlu
    from bot.nlu.training import train_nlu


def build_parser(settings: Settings) -> NluParser:
    """The parser the settings ask for: the embedded model staff put into use (`bot.nlu.active_model`; by
    default `settings.nlu_model_dir`), or Rasa over HTTP."""
    if settings.nlu_backend == "rasa":
        from bot.nlu.rasa_backend import RasaHttpNlu

        return RasaHttpNlu(settings.rasa_url)
    from bot.nlu.active_model import ReloadingNlu

    return ReloadingNlu(settings.model_dir, lambda path: load_embedded(settings, path))


def load_embedded(settings: Settings, model_dir: Path) -> EmbeddedNlu:
    """The embedded model in `model_dir`, with the settings' threshold and message length."""
    from bot.nlu.engine import EmbeddedNlu

    return EmbeddedNlu.load(model_dir, fallback_threshold=settings.nlu_fallback_threshold,
                            max_chars=settings.max_message_chars)


def __getattr__(name: str) -> object:
    """Import the engine classes and training on first use, keeping `import bot.nlu` light."""
    if name == "train_nlu":
        from bot.nlu.training import train_nlu

        return train_nlu
    if name == "EmbeddedNlu":
        from bot.nlu.engine import EmbeddedNlu

        return EmbeddedNlu
    if name == "RasaHttpNlu":
        from bot.nlu.rasa_backend import RasaHttpNlu

        return RasaHttpNlu
    raise AttributeError(name)


__all__ = [
    "EmbeddedNlu",
    "EntityDict",
    "IntentScore",
    "NluParser",
    "ParseResult",
    "RasaHttpNlu",
    "build_parser",
    "train_nlu",
]
