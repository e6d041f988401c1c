"""A resident talking to the REST channel, as a test helper: say things, press buttons."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx


class Resident:
    """One sender on one channel, remembering the last replies so buttons can be pressed."""

    def __init__(self, client: httpx.Client, sender: str | None = None, *, channel: str = "web",
                 community: str | None = None) -> None:
        self.client = client
        # A web or app client's sender is its own secret; other channels speak through a keyed bridge.
        self.sender = sender or f"{channel}-{secrets.token_urlsafe(24)}"
        self.channel = channel
        key = getattr(client, "bridge_keys", {}).get(channel)
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.community = community
        self.last: dict[str, Any] = {}

    def say(self, text: str, *, message_id: str | None = None, **extra: Any) -> list[dict[str, Any]]:
        """Send a message and return the replies."""
        body = {"sender": self.sender, "text": text, "channel": self.channel, **extra}
        if self.community:
            body["community"] = self.community
        if message_id:
            body["message_id"] = message_id
        r = self.client.post("/api/v1/messages", json=body, headers=self.headers)
        assert r.status_code == 200, r.text
        self.last = r.json()
        return self.last["replies"]

    @property
    def text(self) -> str:
        """All reply texts of the last turn, joined."""
        return "\n".join(r["text"] for r in self.last.get("replies", []))

    @property
    def buttons(self) -> list[dict[str, str]]:
        """All buttons of the last turn."""
        return [b for r in self.last.get("replies", []) for b in r["buttons"]]

    def press(self, title_part: str) -> list[dict[str, Any]]:
        """Choose the first button whose title contains `title_part`."""
        for b in self.buttons:
            if title_part in b["title"]:
                return self.say(b["payload"])
        raise AssertionError(f"no button with {title_part!r} in {[b['title'] for b in self.buttons]}")

    def press_first(self) -> list[dict[str, Any]]:
        """Choose the first button offered."""
        assert self.buttons, f"no buttons in: {self.text}"
        return self.say(self.buttons[0]["payload"])

    def book(self, request: str, *, name: str = "孙阿姨", phone: str = "13500001111",
             address: str = "幸福路8号3单元502") -> str:
        """Book through the whole form (first slot offered, one person, the address of a home visit,
        confirm); return the YY number."""
        self.say(request)
        self.press_first()
        self.say("1位")
        if "地址" in self.text:  # a home visit asks where to go
            self.say(address)
        self.say(name)
        self.say(phone)
        self.press("确认")
        found = re.search(r"YY\d{11}", self.text)
        assert found, self.text
        return found.group(0)
