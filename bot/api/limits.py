"""Rate limits of the public endpoints, per sender and per client address (429 with Retry-After)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from bot.backend.rate_limits import RateLimits

TOO_MANY = "请求太频繁，请稍后再试。"


async def enforce(limits: RateLimits, scope: str, key: str, per_minute: int) -> None:
    """Raise 429 with Retry-After when over the limit."""
    wait = await limits.retry_after(scope, key, per_minute)
    if wait:
        raise HTTPException(429, TOO_MANY, headers={"Retry-After": str(wait)})


def client_address(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For has already been applied)."""
    return request.client.host if request.client else "unknown"


async def limit_address(request: Request) -> None:
    """Dependency: the per-address limit of a public endpoint."""
    limits: RateLimits = request.app.state.rate_limits
    per_minute = request.app.state.runtime.settings.rate_limit_address_per_minute
    await enforce(limits, "address", client_address(request), per_minute)
