"""A retraining started from one server process is the same job on every other: shown, and not started twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from bot.config import Settings
from tests.conftest import FixedClock, _base_settings, db_rows, make_live
from tests.console.helpers import console_client, page_csrf
from tests.factories import make_staff


def _retrain_section(client: Any) -> str:
    page = client.get("/console/nlu").text
    return page[page.index('id="retrain"'):]


def test_a_retraining_started_on_one_worker_is_seen_and_not_repeated_on_another(
        any_database_url: str, model_dir: Path, nlu: Any, retriever: Any, clock: FixedClock) -> None:
    settings = _base_settings(database_url=any_database_url, model_dir=model_dir)
    (a, _), (b, _) = make_live(settings, nlu, retriever, clock=clock), make_live(settings, nlu, retriever, clock=clock)
    release, calls = threading.Event(), []

    def slow_retrain(settings: Settings, text: str, out_root: Path) -> dict[str, Any]:
        calls.append(text)
        release.wait(30)
        return {"model_dir": str(out_root / "nlu-new"), "measured_on": "留出测试集", "examples": 300,
                "corrections": 0, "before": 0.95, "after": 0.97}

    for server in (a, b):
        server.config.app.state.console_retrain = slow_retrain
    pw = make_staff(any_database_url, "boss", None, role="admin")
    try:
        with console_client(a.url, "boss", pw) as on_a, console_client(b.url, "boss", pw) as on_b:
            assert on_a.post("/console/nlu/retrain", data={"csrf": page_csrf(on_a)}).status_code == 303
            for _ in range(200):
                if calls:
                    break
                time.sleep(0.02)
            # The other worker shows the running job and does not start a second one.
            section = _retrain_section(on_b)
            assert 'data-status="运行中"' in section and "boss" in section
            assert on_b.post("/console/nlu/retrain", data={"csrf": page_csrf(on_b)}).status_code == 303
            release.set()
            for _ in range(200):
                section = _retrain_section(on_b)
                if 'data-status="完成"' in section:
                    break
                time.sleep(0.05)
            assert 'data-status="完成"' in section and "97" in section
        assert len(calls) == 1
        audited = db_rows(any_database_url, "SELECT count(*) FROM audit_log WHERE action = 'nlu_retrain'")
        assert audited == [(1,)]
    finally:
        release.set()
        a.stop()
        b.stop()
