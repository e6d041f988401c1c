"""A minimal HTTP/1.1 keep-alive client for the load generator.

Written by hand because the load generator shares this 2-core machine with the server it measures: httpx
spends about 2 ms of CPU per request, as much as PostgreSQL does per turn, and that CPU is taken from the
workers being compared, so a two-worker run looked barely faster than one. This client spends a tenth of
that (one write, header parsing, one read of Content-Length bytes). It speaks only what the messages
endpoint answers with: JSON bodies with a Content-Length; anything else raises.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class LeanConnection:
    """One persistent connection; requests on it are sequential, as one resident's turns are."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        """POST `payload` as JSON; the status and the decoded JSON answer."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        reader, writer = await self._connect()
        writer.write(head + body)
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, close = None, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ValueError("chunked answers are not supported by this client")
        if length is None:
            raise ValueError("the answer has no Content-Length")
        data = await reader.readexactly(length)
        if close:
            await self.close()
        return status, json.loads(data) if data else None

    async def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None
