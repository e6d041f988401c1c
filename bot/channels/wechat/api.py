"""Calling the WeChat and WeCom APIs through wechatpy's clients, with the database's shared access token.

wechatpy's clients keep their token in process memory and refresh it on their own; several workers would
then refresh in turn and invalidate each other's token. Here each call gets the shared token from
`AccessTokens` (bot.backend.access_tokens), and a token the API calls expired (40001, 40014, 42001) is
dropped and fetched again once. wechatpy is synchronous (requests), so calls run in a worker thread; the
hosts come from the settings (WECHAT_API_BASE_URL, WECOM_API_BASE_URL), so tests point them at fakes.

Errors, as the callers see them:
    WeChatClientException   the API answered with an errcode (or an HTTP error); `errcode` says which
    requests.RequestException  the host could not be reached
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from wechatpy import WeChatClient
from wechatpy.client.base import BaseWeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.exceptions import WeChatClientException

from bot.backend.access_tokens import AccessTokens
from bot.config import Settings

T = TypeVar("T")
# invalid credential, invalid access token, access token expired
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TIMEOUT = 10


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


class MpClient(WeChatClient):  # type: ignore[misc]
    """wechatpy's Official Account client on the configured host."""

    def __init__(self, settings: Settings, access_token: str | None, http: requests.Session) -> None:
        super().__init__(settings.wechat_mp_app_id, _secret(settings.wechat_mp_app_secret),
                         access_token=access_token, timeout=TIMEOUT, auto_retry=False)
        self.API_BASE_URL = settings.wechat_api_base_url.rstrip("/") + "/cgi-bin/"
        self._http = http

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy's own fetch, from the configured host rather than the hard-coded one."""
        return self._fetch_access_token(  # type: ignore[no-any-return]
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})


class KfClient(WeComClient):  # type: ignore[misc]
    """wechatpy's WeCom client on the configured host, with the customer-service (微信客服) secret."""

    def __init__(self, settings: Settings, access_token: str | None, http: requests.Session) -> None:
        super().__init__(settings.wecom_corp_id, _secret(settings.wecom_kf_secret),
                         access_token=access_token, timeout=TIMEOUT, auto_retry=False)
        self.API_BASE_URL = settings.wecom_api_base_url.rstrip("/") + "/cgi-bin/"
        self._http = http

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy's own fetch, from the configured host rather than the hard-coded one."""
        return self._fetch_access_token(  # type: ignore[no-any-return]
            url=self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret})


class WeChatApi:
    """One app's API: a wechatpy client per call, carrying the token all processes share."""

    def __init__(self, app: str, tokens: AccessTokens,
                 make: Callable[[str | None, requests.Session], BaseWeChatClient]) -> None:
        self.app = app
        self.tokens = tokens
        self.make = make
        self.http = requests.Session()  # one connection pool for every call of this app

    async def call(self, method: Callable[[Any], T]) -> T:
        """Run `method(client)`; a token the API refuses as expired is replaced once, then tried again."""
        for attempt in (1, 2):
            token = await self.tokens.get(self.app, self._fetch)
            client = self.make(token, self.http)
            try:
                return await asyncio.to_thread(method, client)
            except WeChatClientException as exc:
                if attempt == 1 and exc.errcode in TOKEN_ERRORS:
                    await self.tokens.expire(self.app, token)
                    continue
                raise
        raise AssertionError("unreachable")

    async def post(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to an endpoint under /cgi-bin/ (the generic route for APIs wechatpy does not wrap)."""
        return await self.call(lambda c: c.post(endpoint, data=data))  # type: ignore[no-any-return]

    async def _fetch(self) -> tuple[str, int]:
        result = await asyncio.to_thread(self.make(None, self.http).fetch_access_token)
        return str(result["access_token"]), int(result.get("expires_in") or 7200)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def mp_api(settings: Settings, tokens: AccessTokens) -> WeChatApi:
    """The Official Account's API."""
    return WeChatApi(f"wechat-mp:{settings.wechat_mp_app_id}", tokens,
                     lambda token, http: MpClient(settings, token, http))


def kf_api(settings: Settings, tokens: AccessTokens) -> WeChatApi:
    """The WeCom customer-service API (its token belongs to the corp and the kf secret)."""
    return WeChatApi(f"wecom-kf:{settings.wecom_corp_id}", tokens,
                     lambda token, http: KfClient(settings, token, http))
