"""Putting a retrained NLU model into use from the console, and going back, with the server switching."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.nlu import active_model
from tests.conftest import FixedClock, _base_settings, db_rows, make_live
from tests.console.helpers import console_client, page_csrf
from tests.factories import make_staff

CANDIDATE = "nlu-20261207-093000-a1"


@pytest.fixture
def live_models(settings: Settings, retriever: Any, clock: FixedClock, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A live server whose MODEL_DIR is a copy holding one retrained candidate, and whose NLU is the
    serving parser that follows the console's choice (not the suite's shared model)."""
    models = tmp_path / "models"
    shutil.copytree(settings.model_dir / "nlu", models / "nlu")
    shutil.copytree(settings.model_dir / "nlu", models / "candidates" / CANDIDATE)
    active_model.write_report(models / "candidates" / CANDIDATE, {
        "measured_on": "nlu_heldout_a.yml（留出测试集）", "examples": 660, "corrections": 12,
        "before": 0.9788, "after": 0.9818})
    local = _base_settings(database_url=settings.database_url, model_dir=models)
    server, runtime = make_live(local, None, retriever, clock=clock)
    yield server.url, runtime
    server.stop()


def test_an_admin_puts_the_retrained_model_into_use_and_can_go_back(
        live_models: tuple[str, Any], settings: Settings) -> None:
    url, runtime = live_models
    pw = make_staff(settings.database_url, "boss", None, role="admin")
    parser = runtime.dialogue.nlu
    assert isinstance(parser, active_model.ReloadingNlu)
    with console_client(url, "boss", pw) as boss:
        page = boss.get("/console/nlu").text
        row = page[page.index(f'data-candidate="{CANDIDATE}"'):]
        row = row[:row.index("</tr>")]
        assert "97.9%" in row and "98.2%" in row and "启用" in row and "data-confirm" in row
        assert re.search(r"<code data-serving>nlu</code>", page)

        r = boss.post(f"/console/nlu/models/{CANDIDATE}/activate", data={"csrf": page_csrf(boss, "/console/nlu")})
        assert r.status_code == 303
        page = boss.get("/console/nlu").text
        assert f"<code data-serving>{CANDIDATE}</code>" in page and "使用中" in page and "退回上一个模型" in page
        # This process switched at once; a resident is answered by the new model.
        assert parser.current is not None and active_model.active_path(runtime.settings.model_dir).name == CANDIDATE
        answer = httpx.post(f"{url}/api/v1/messages", json={"text": "高龄津贴要带什么材料"}, timeout=30).json()
        assert answer["replies"] and "高龄津贴" in "".join(x["text"] for x in answer["replies"])

        r = boss.post("/console/nlu/models/rollback", data={"csrf": page_csrf(boss, "/console/nlu")})
        assert r.status_code == 303
        assert "<code data-serving>nlu</code>" in boss.get("/console/nlu").text
        # Nothing more to go back to than the model just left: going back again returns to it.
        assert boss.post(f"/console/nlu/models/{CANDIDATE}/activate",
                         data={"csrf": page_csrf(boss, "/console/nlu")}).status_code == 303
        assert boss.post(f"/console/nlu/models/{CANDIDATE}/activate",
                         data={"csrf": page_csrf(boss, "/console/nlu")}).status_code == 409  # already in use
    audit = db_rows(settings.database_url,
                    "SELECT action, object_id FROM audit_log WHERE action LIKE 'nlu_%' ORDER BY id")
    assert [(a.action, a.object_id) for a in audit] == [
        ("nlu_activate", CANDIDATE), ("nlu_rollback", "nlu"), ("nlu_activate", CANDIDATE)]


def test_only_an_admin_switches_models_and_a_missing_one_is_refused(
        live_models: tuple[str, Any], settings: Settings) -> None:
    url, _ = live_models
    pw = make_staff(settings.database_url, "zhang", "default")
    make_staff(settings.database_url, "boss", None, role="admin", password=pw)
    with console_client(url, "zhang", pw) as zhang:
        page = zhang.get("/console/nlu").text
        assert CANDIDATE in page and "启用</button>" not in page
        r = zhang.post(f"/console/nlu/models/{CANDIDATE}/activate", data={"csrf": page_csrf(zhang, "/console/nlu")})
        assert r.status_code == 403
    with console_client(url, "boss", pw) as boss:
        csrf = page_csrf(boss, "/console/nlu")
        assert boss.post("/console/nlu/models/nlu-none/activate", data={"csrf": csrf}).status_code == 409
        assert boss.post("/console/nlu/models/rollback", data={"csrf": csrf}).status_code == 409
    assert active_model.read_active(live_models[1].settings.model_dir) is None
