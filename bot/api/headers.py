"""Security headers on every response, and the content policy of the pages a browser shows.

A pure ASGI middleware rather than Starlette's BaseHTTPMiddleware, which buffers streamed responses.
Pages load scripts and styles from their own origin only (no inline code), may not be framed by anyone,
and send no referrer to other sites.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
_PAGES = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY")]


class SecurityHeaders:
    """Adds the headers to each HTTP response start; HTML responses also get CSP and anti-framing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                extra = _ALWAYS + (_PAGES if content_type.startswith(b"text/html") else [])
                if https:
                    extra = [*extra, (b"strict-transport-security", b"max-age=31536000")]
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
