"""The `linli` command line, run as a resident's IT staff would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from tests.conftest import db_rows

LINLI = str(Path(sys.executable).parent / "linli")


def run(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "MODEL_DIR": str(settings.model_dir),
           "LOG_LEVEL": "WARNING"}
    return subprocess.run([LINLI, *args], input=stdin, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT,
                          timeout=300)


def test_chat_reads_one_message_per_line_and_prints_replies(settings: Settings) -> None:
    out = run(settings, "chat", "--sender", "script", stdin="你好\n楼道灯坏了三天了\n算了\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("邻里：您好")
    assert any("哪里" in line for line in lines)
    assert any("已经取消" in line for line in lines)


def test_parse_prints_a_rasa_shaped_parse(settings: Settings) -> None:
    out = run(settings, "parse", "我想预约明天上午的助浴服务")
    assert out.returncode == 0, out.stderr
    parse = json.loads(out.stdout)
    assert parse["intent"]["name"] == "book_service"
    assert {"text", "intent", "intent_ranking", "entities"} <= set(parse)
    assert {"entity": "service", "value": "bathing-assistance"}.items() <= next(
        e for e in parse["entities"] if e["entity"] == "service").items()


def test_community_and_staff_accounts_are_created(settings: Settings) -> None:
    assert run(settings, "db", "upgrade").returncode == 0
    assert run(settings, "community", "add", "hexie", "和谐社区").returncode == 0
    out = run(settings, "staff", "add", "wang", "--community", "hexie", "--password", "a-long-password")
    assert out.returncode == 0, out.stderr
    bad = run(settings, "staff", "add", "li", "--community", "nowhere", "--password", "a-long-password")
    assert bad.returncode != 0 and "nowhere" in bad.stderr
    rows = db_rows(settings.database_url,
                   "SELECT s.username, s.role, c.code FROM staff_users s JOIN communities c ON c.id = s.community_id")
    assert rows == [("wang", "staff", "hexie")]
    stored = db_rows(settings.database_url, "SELECT password_hash FROM staff_users")[0][0]
    assert stored.startswith("$argon2") and "a-long-password" not in stored


def test_example_data_loads_only_on_request(settings: Settings) -> None:
    assert db_rows(settings.database_url, "SELECT count(*) FROM communities") == [(0,)]
    out = run(settings, "db", "load-examples")
    assert out.returncode == 0, out.stderr
    codes = {r[0] for r in db_rows(settings.database_url, "SELECT code FROM communities")}
    assert codes == {"default", "qinghe-village"}
    assert "初始密码" in out.stdout
