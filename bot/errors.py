"""The exception tree of Linli.

    LinliError
    ├── ConfigurationError      a setting or data file is wrong; fix it and restart
    ├── DataValidationError     a catalog, training or spreadsheet file fails its schema
    ├── ModelNotFoundError      the NLU model or index has not been built (run `linli train` / `linli index`)
    ├── NotFound                an object does not exist, or is not visible to the caller
    ├── PermissionDenied        the caller may not act on that object
    ├── InvalidInput            a request is malformed (turned into a 4xx at the HTTP edge)
    └── BackendUnavailable      an outside service (Rasa, Telegram, speech-to-text) did not answer

Resident-facing replies and HTTP errors are made from these only at the edges.
"""

from __future__ import annotations


class LinliError(Exception):
    """Root of every error Linli raises on purpose."""


class ConfigurationError(LinliError):
    """A setting or data file is wrong."""


class DataValidationError(LinliError):
    """A data file fails validation; `problems` lists file, line and field for each fault."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        return head if not self.problems else head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class ModelNotFoundError(LinliError):
    """A model or index is missing and must be built first."""


class NotFound(LinliError):
    """An object does not exist or is not visible to the caller."""


class PermissionDenied(LinliError):
    """The caller may not act on that object."""


class InvalidInput(LinliError):
    """A request is malformed."""


class BackendUnavailable(LinliError):
    """An outside service did not answer."""
