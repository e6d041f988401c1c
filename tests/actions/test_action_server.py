"""The same actions served to a Rasa server by `python -m actions.server`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from bot.config import PROJECT_ROOT
from tests.conftest import db_rows
from tests.resident import Resident


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_rasa_action_server_request_runs_an_action_that_writes_to_the_database(
    live: httpx.Client, settings, model_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    r = Resident(live)
    r.say("你好")
    conv_id = r.last["conversation_id"]
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "MODEL_DIR": str(model_dir), "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(port)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            raise AssertionError("action server did not start")
        domain = yaml.safe_load((PROJECT_ROOT / "nlu_data" / "domain.yml").read_text(encoding="utf-8"))
        body = {
            "next_action": "action_submit_request",
            "sender_id": str(conv_id),
            "version": "3.6.0",
            "domain": domain,
            "tracker": {
                "sender_id": str(conv_id),
                "slots": {"description": "小区东门路灯不亮了", "location": "小区东门", "phone": "13812340000",
                          "category": "维修", "confirmed": True, "community": "default"},
                "latest_message": {"text": "确认", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []},
                "events": [],
                "paused": False,
                "followup_action": None,
                "active_loop": {"name": "request_form"},
                "latest_action_name": None,
            },
        }
        resp = httpx.post(f"{url}/webhook", json=body, timeout=60)
        assert resp.status_code == 200, resp.text
        # Wording lives in the domain's responses: the server names the response and the values Rasa fills in.
        filed = [m for m in resp.json()["responses"] if str(m.get("response", "")).startswith("utter_request_filed")]
        assert filed and str(filed[0]["number"]).startswith("GD"), resp.json()["responses"]
        rows = db_rows(settings.database_url, "SELECT description, location, conversation_id FROM work_orders")
        assert rows == [("小区东门路灯不亮了", "小区东门", conv_id)]
        assert {"event": "active_loop", "name": None} in [
            {k: e.get(k) for k in ("event", "name")} for e in resp.json()["events"]
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
