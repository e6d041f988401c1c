"""A Rasa server as the NLU backend (`NLU_BACKEND=rasa`): `POST /model/parse` over HTTP.

Rasa already answers in the shape of `ParseResult`, so the answer is passed on as it is, after a check
that it has that shape. Any failure to get one (refused connection, timeout, HTTP error, a body that is
not a parse) is a `BackendUnavailable`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from bot.errors import BackendUnavailable
from bot.nlu.types import ParseResult


class RasaHttpNlu:
    """Parses messages by asking a Rasa server."""

    def __init__(self, url: str, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        """Ask the Rasa server to parse `text` (Rasa resolves dates against its own clock, not `now`)."""
        payload: dict[str, Any] = {"text": text}
        try:
            response = self._client.post(f"{self.url}/model/parse", json=payload)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendUnavailable(f"Rasa server at {self.url} did not answer a parse: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
            raise BackendUnavailable(f"Rasa server at {self.url} answered something that is not a parse")
        if body["intent"].get("name") is None:  # Rasa's answer to an empty message
            body["intent"] = {"name": "nlu_fallback", "confidence": 0.0}
        body.setdefault("intent_ranking", [])
        body.setdefault("entities", [])
        body.setdefault("text", text)
        return body  # type: ignore[return-value]

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
