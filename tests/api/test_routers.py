"""Every router is mounted by the app factory itself: staff never find the console missing after a rename."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.bootstrap import build_runtime
from bot.config import Settings
from tests.conftest import FixedClock


def test_the_app_serves_the_chat_the_staff_api_and_the_console(settings: Settings, nlu: Any, retriever: Any,
                                                               clock: FixedClock) -> None:
    app = create_app(build_runtime(settings, nlu=nlu, retriever=retriever, clock=clock))
    with TestClient(app) as client:
        login = client.get("/console/login")
        assert login.status_code == 200 and "登录" in login.text
        # Console pages and the staff API exist and ask who is there, rather than answering 404.
        page = client.get("/console/work-orders", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/console/login"
        assert client.get("/api/v1/staff/work-orders").status_code == 401
        assert client.get("/api/v1/staff/slots", params={"service": "x", "day": "2026-12-01"}).status_code == 401
        said = client.post("/api/v1/messages", json={"text": "你好"})
        assert said.status_code == 200 and said.json()["replies"]
