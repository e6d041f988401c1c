"""Logging set-up with personal data masked in every record.

Phone numbers and ID numbers are personal information under PIPL; a filter on the root handler masks
them in every log line, whichever module wrote it, so that no call site has to remember to.
"""

from __future__ import annotations

import logging
import re
from typing import IO

# Mainland ID numbers (18 digits, last may be X), mobile numbers (11 digits starting 1[3-9]),
# with optional separators that speech front ends and people insert.
_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{3,4})(\d{4})(?!\d)")


def mask_personal_data(text: str) -> str:
    """Mask ID and phone numbers: keep enough to recognise, not enough to use."""
    text = _ID_RE.sub(lambda m: f"{m.group(1)[:3]}{'*' * 11}{m.group(2)}", text)
    text = _MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _LANDLINE_RE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    return text


class MaskingFilter(logging.Filter):
    """Rewrite each record's message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the fully formatted message, then drop the args that produced it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the log line
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        return True


class _LinliHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our own handler class, so set-up run twice replaces it instead of adding a second one."""


def setup_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Configure the root logger once, with the masking filter on its handler."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _LinliHandler):
            root.removeHandler(h)
    handler = _LinliHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
