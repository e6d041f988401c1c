"""Logging set-up with personal data masked in every line, whichever logger wrote it.

Phone numbers and ID numbers are personal information under PIPL. Masking happens twice on our root
handler: a filter masks the record itself (its message and arguments, its traceback and stack text), so
every handler after ours sees it masked too; and the formatter masks the final formatted line, so a
field no filter knows of (a custom format, an exception's own message inside the traceback) cannot slip
through. What counts as personal data, and how it is masked, is decided in `bot.masking`.

uvicorn brings its own handlers for its loggers (`uvicorn`, `uvicorn.error`, `uvicorn.access`) that
would write request lines and tracebacks past ours; `setup_logging` takes them off and lets those
loggers propagate to the root, and `uvicorn_options` tells uvicorn not to put them back.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from bot.masking import mask_log_line, mask_personal_data

__all__ = ["UVICORN_LOGGERS", "MaskingFilter", "MaskingFormatter", "mask_personal_data", "setup_logging",
           "uvicorn_options"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_TRACEBACKS = logging.Formatter()
# Loggers whose debug lines carry SQL parameters: conversation tokens, sender secrets, password hashes,
# which no mask can tell by their shape. They log at INFO at the most verbose.
_PARAMETER_LOGGERS = ("aiosqlite",)


class MaskingFilter(logging.Filter):
    """Rewrite each record with personal data masked: message, arguments, traceback and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message, then drop the args that produced it; mask the traceback text."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the log line
            message = str(record.msg)
        record.msg = mask_log_line(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text once set, so the traceback is formatted (and masked) once here.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_line(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_log_line(record.stack_info)
        return True


class MaskingFormatter(logging.Formatter):
    """A formatter whose every line, traceback included, leaves with personal data masked."""

    def format(self, record: logging.LogRecord) -> str:
        """The usual line, masked as a whole."""
        return mask_log_line(super().format(record))


class MaskingJsonFormatter(JsonFormatter):
    """One JSON object per line (LOG_FORMAT=json, for log collectors), masked as a whole like the text."""

    def format(self, record: logging.LogRecord) -> str:
        """The JSON line, masked."""
        return mask_log_line(super().format(record))


class _LinliHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our own handler class, so set-up run twice replaces it instead of adding a second one."""


def masking_handler(stream: IO[str] | None = None, fmt: str = "text") -> logging.Handler:
    """A stream handler that masks personal data, for the root logger or any other; `fmt` text or json."""
    handler = _LinliHandler(stream)
    if fmt == "json":
        handler.setFormatter(MaskingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                                  rename_fields={"levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(MaskingFormatter(FORMAT))
    handler.addFilter(MaskingFilter())
    return handler


def _route_uvicorn_to_root() -> None:
    """Take uvicorn's own handlers off its loggers, so their lines go through the root's masking handler."""
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.propagate = True


def setup_logging(level: str = "INFO", stream: IO[str] | None = None, fmt: str = "text") -> None:
    """Configure the root logger once, with the masking handler, and send uvicorn's loggers to it."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _LinliHandler):
            root.removeHandler(h)
    root.addHandler(masking_handler(stream, fmt))
    root.setLevel(level.upper())
    for name in _PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    _route_uvicorn_to_root()


def uvicorn_options(level: str, *, access_log: bool = True) -> dict[str, Any]:
    """The logging options for uvicorn.run / uvicorn.Config once `setup_logging` has run.

    log_config=None keeps uvicorn from installing its default handlers (which write past our masking);
    its loggers then propagate to the root handler. Access lines name the path and query of each
    request; with masking they may be kept (a conversation token in ?token= shows as ***).
    """
    return {"log_config": None, "log_level": level.lower(), "access_log": access_log}
