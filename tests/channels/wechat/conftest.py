"""Fixtures for the WeChat channels: the fake WeChat/WeCom API, the app with the channels on, and residents.

Residents speak to the app's callbacks over ASGI in the test's own event loop (so tests can run the outbox
senders and read the database beside them); the channels call the fake API over real HTTP through wechatpy.
`plumbing` fixtures use a parser that understands nothing (button payloads, events and checks); the others
use the real NLU and retriever.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmltodict
from pydantic import SecretStr
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from bot.config import Settings
from tests.channels.conftest import FindsNothing, UnderstandsNothing
from tests.channels.wechat.fake_wechat_api import CORP_ID, KF_SECRET, MP_APP_ID, MP_SECRET, FakeWeChatApi
from tests.conftest import TEST_NOW, FixedClock, _base_settings

MP_TOKEN = "mpToken2026linli"
KF_TOKEN = "kfToken2026linli"
# EncodingAESKey: 43 characters, the base64 of 32 bytes without its "=".
AES_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
ACCOUNT = "gh_linli_test"
OPEN_KFID = "wkLinliKf0001"
# WeChat's own timestamps; the channels never read them, so the suite's "now" will do.
STAMP = str(int(TEST_NOW.timestamp()))


def wechat_settings(base: Settings, fake: FakeWeChatApi, **extra: Any) -> Settings:
    """Both channels on, every WeChat address pointed at the fake."""
    return base.model_copy(update={
        "wechat_mp_token": SecretStr(MP_TOKEN), "wechat_mp_app_id": MP_APP_ID,
        "wechat_mp_app_secret": SecretStr(MP_SECRET), "wechat_mp_aes_key": None,
        "wecom_corp_id": CORP_ID, "wecom_kf_secret": SecretStr(KF_SECRET),
        "wecom_kf_token": SecretStr(KF_TOKEN), "wecom_kf_aes_key": SecretStr(AES_KEY),
        "wechat_api_base_url": fake.url, "wecom_api_base_url": fake.url, **extra,
    })


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class Harness:
    """The app with the WeChat channels, a client speaking to it, and the fake API behind it."""

    def __init__(self, app: Any, runtime: Any, fake: FakeWeChatApi, client: httpx.AsyncClient) -> None:
        self.app = app
        self.runtime = runtime
        self.fake = fake
        self.client = client
        self.service = app.state.wechat
        self._ids = itertools.count(10**9)
        self._users = itertools.count(1)

    @property
    def database_url(self) -> str:
        return str(self.runtime.settings.database_url)

    def next_id(self) -> int:
        return next(self._ids)

    def follower(self, *, encrypted: bool = False) -> MpFollower:
        """A new WeChat user following the Official Account."""
        return MpFollower(self, f"oLinliUser{next(self._users):06d}", encrypted=encrypted)

    def customer(self) -> KfCustomer:
        """A new WeChat user in the WeCom customer-service chat."""
        return KfCustomer(self, f"wmLinliCustomer{next(self._users):06d}")

    async def kf_event(self, open_kfid: str = OPEN_KFID) -> httpx.Response:
        """WeCom's callback saying there is something to read, then wait for the reading to finish."""
        xml = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><CreateTime>{STAMP}</CreateTime>"
               "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
               f"<Token><![CDATA[syncToken]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>")
        nonce = str(self.next_id())
        body = WeComCrypto(KF_TOKEN, AES_KEY, CORP_ID).encrypt_message(xml, nonce, STAMP)
        signature = xmltodict.parse(body)["xml"]["MsgSignature"]
        r = await self.client.post("/wecom/kf", content=body,
                                   params={"msg_signature": signature, "timestamp": STAMP, "nonce": nonce})
        await self.service.kf.drain()
        return r


class MpFollower:
    """One follower of the Official Account: sends messages and events, reads the passive replies."""

    def __init__(self, h: Harness, openid: str, *, encrypted: bool) -> None:
        self.h = h
        self.openid = openid
        self.encrypted = encrypted
        self.last = ""

    def xml(self, msg_type: str, fields: str, msg_id: int | None) -> str:
        """A message as WeChat posts it."""
        mid = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
        return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{self.openid}]]>"
                f"</FromUserName><CreateTime>{STAMP}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
                f"{fields}{mid}</xml>")

    async def post(self, xml: str) -> httpx.Response:
        """Post a message, signed (and encrypted, for an encrypted follower) as WeChat does."""
        nonce = str(self.h.next_id())
        params = {"signature": sign(MP_TOKEN, STAMP, nonce), "timestamp": STAMP, "nonce": nonce,
                  "openid": self.openid}
        body = xml
        if self.encrypted:
            body = WeChatCrypto(MP_TOKEN, AES_KEY, MP_APP_ID).encrypt_message(xml, nonce, STAMP)
            params.update(encrypt_type="aes", msg_signature=xmltodict.parse(body)["xml"]["MsgSignature"])
        return await self.h.client.post("/wechat/mp", content=body.encode(), params=params)

    async def send(self, msg_type: str, fields: str, msg_id: int | None = -1) -> str:
        """Send, and return the text of the passive reply ("" for none)."""
        r = await self.post(self.xml(msg_type, fields, self.h.next_id() if msg_id == -1 else msg_id))
        assert r.status_code == 200, r.text
        self.last = self.read(r.text)
        return self.last

    def read(self, body: str) -> str:
        """The content of a passive reply, decrypted when encrypted."""
        if body == "success":
            return ""
        data = xmltodict.parse(body)["xml"]
        if "Encrypt" in data:
            plain = WeChatCrypto(MP_TOKEN, AES_KEY, MP_APP_ID).decrypt_message(
                body, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(plain)["xml"]
        assert data["ToUserName"] == self.openid and data["MsgType"] == "text", data
        return str(data["Content"])

    async def say(self, text: str, msg_id: int | None = -1) -> str:
        """A text message."""
        return await self.send("text", f"<Content><![CDATA[{text}]]></Content>", msg_id)

    async def speak(self, recognition: str) -> str:
        """A voice message with WeChat's speech recognition of it."""
        return await self.send("voice", "<MediaId><![CDATA[voiceMedia1]]></MediaId><Format><![CDATA[amr]]></Format>"
                                        f"<Recognition><![CDATA[{recognition}]]></Recognition>")

    async def photo(self, media_id: str) -> str:
        """An image message."""
        return await self.send("image", f"<PicUrl><![CDATA[http://127.0.0.1/{media_id}.jpg]]></PicUrl>"
                                        f"<MediaId><![CDATA[{media_id}]]></MediaId>")

    async def event(self, event: str, key: str = "") -> str:
        """An event (subscribe, CLICK …); events carry no MsgId."""
        key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key else ""
        return await self.send("event", f"<Event><![CDATA[{event}]]></Event>{key_xml}", msg_id=None)


class KfCustomer:
    """One WeChat user talking to the WeCom customer-service account."""

    def __init__(self, h: Harness, user: str) -> None:
        self.h = h
        self.user = user
        self.last: list[dict[str, Any]] = []

    def received(self) -> list[dict[str, Any]]:
        """Every kf/send_msg to this customer so far."""
        return [b for b in self.h.fake.sent("kf/send_msg") if b["touser"] == self.user]

    async def send(self, msgtype: str, content: dict[str, Any], *, origin: int = 3) -> list[dict[str, Any]]:
        """A message waiting in WeCom, the callback, and what was sent back."""
        before = len(self.received())
        self.h.fake.add_kf_message({"msgid": f"kfmsg{self.h.next_id()}", "open_kfid": OPEN_KFID,
                                    "external_userid": self.user, "send_time": int(STAMP), "origin": origin,
                                    "msgtype": msgtype, msgtype: content})
        r = await self.h.kf_event()
        assert r.status_code == 200 and r.text == "success"
        self.last = self.received()[before:]
        return self.last

    async def say(self, text: str, menu_id: str | None = None) -> list[dict[str, Any]]:
        """A text message (a tapped menu item carries its id too)."""
        return await self.send("text", {"content": text, **({"menu_id": menu_id} if menu_id else {})})

    async def press(self, title_part: str) -> list[dict[str, Any]]:
        """Tap the first item of the last menus whose title contains `title_part`."""
        for item in [i for m in self.last if m["msgtype"] == "msgmenu" for i in m["msgmenu"]["list"]]:
            if title_part in item["click"]["content"]:
                return await self.say(item["click"]["content"], menu_id=item["click"]["id"])
        raise AssertionError(f"no menu item with {title_part!r} in {self.menu}")

    @property
    def text(self) -> str:
        """The texts and menu heads of the last replies, joined."""
        return "\n".join(m["text"]["content"] if m["msgtype"] == "text" else m["msgmenu"]["head_content"]
                         for m in self.last)

    @property
    def menu(self) -> list[str]:
        """Titles of the menu items of the last replies."""
        return [i["click"]["content"] for m in self.last if m["msgtype"] == "msgmenu" for i in m["msgmenu"]["list"]]


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChatApi]:
    """A running fake WeChat/WeCom API."""
    fake = FakeWeChatApi()
    server = fake.start()
    yield fake
    server.stop()


async def start(settings: Settings, fake: FakeWeChatApi, nlu: Any, retriever: Any,
                clock: FixedClock) -> tuple[Harness, Any]:
    """The app on the test's clock with the channels on; its client speaks to it over ASGI."""
    from bot.api.app import create_app
    from bot.bootstrap import build_runtime

    runtime = build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock)
    app = create_app(runtime)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://linli.test")
    return Harness(app, runtime, fake, client), runtime


async def stop(h: Harness) -> None:
    """Close the client, the channels and the runtime."""
    await h.client.aclose()
    await h.service.stop()
    await h.runtime.close()


@pytest.fixture
def plumbing_settings(database_url: str, tmp_path: Path, fake_wechat: FakeWeChatApi) -> Settings:
    """Settings on a fresh database, the channels pointed at the fake, no trained models needed."""
    return wechat_settings(_base_settings(database_url=database_url, model_dir=tmp_path / "models"), fake_wechat)


@pytest.fixture
async def plumbing(plumbing_settings: Settings, fake_wechat: FakeWeChatApi,
                   clock: FixedClock) -> AsyncIterator[Harness]:
    """The channels on a parser that understands nothing (payloads, events, checks)."""
    h, _ = await start(plumbing_settings, fake_wechat, UnderstandsNothing(), FindsNothing(), clock)
    yield h
    await stop(h)


@pytest.fixture
async def wechat(settings: Settings, fake_wechat: FakeWeChatApi, nlu: Any, retriever: Any,
                 clock: FixedClock) -> AsyncIterator[Harness]:
    """The channels on the real NLU and retriever."""
    h, _ = await start(wechat_settings(settings, fake_wechat), fake_wechat, nlu, retriever, clock)
    yield h
    await stop(h)
