"""The `linli` command line, run as a resident's IT staff would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.domain import Domain
from tests.conftest import db_rows

LINLI = str(Path(sys.executable).parent / "linli")
GOODBYE = "邻里：" + Domain.load(PROJECT_ROOT / "nlu_data" / "domain.yml").render("utter_goodbye", {}).text


def run(settings: Settings, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "MODEL_DIR": str(settings.model_dir),
           "LOG_LEVEL": "WARNING", **(env or {})}
    return subprocess.run([LINLI, *args], input=stdin, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT,
                          timeout=300)


def test_chat_reads_one_message_per_line_and_prints_replies(settings: Settings) -> None:
    out = run(settings, "chat", "--sender", "script", stdin="你好\n楼道灯坏了三天了\n算了\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "您：你好", "piped input is echoed, so the output reads as a conversation"
    assert lines[1].startswith("邻里：您好")
    assert any("哪里" in line for line in lines)
    assert any("已经取消" in line for line in lines)
    assert lines[-1] == GOODBYE, "the chat ends with a goodbye line"


def test_chat_numbers_choices_takes_a_number_or_words_and_ends_on_quit(settings: Settings) -> None:
    said = "你好\n2\n退出\n这一行不再发出\n"
    out = run(settings, "chat", "--sender", "numbers", stdin=said, env={"LOG_LEVEL": "INFO"})
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "  1. 办事咨询" in text and "  2. 预约服务" in text and "回复数字" in text
    assert "/ask_service_info" not in text and "→" not in text, "no payloads are shown to the resident"
    after_two = text.split("您：2", 1)[1]
    assert "预约" in after_two.split("您：", 1)[0], "2 picked 预约服务"
    assert "您：退出" in text and "这一行不再发出" not in text
    assert text.splitlines()[-1] == GOODBYE
    # Logs stay out of the conversation, even at LOG_LEVEL=INFO, unless asked for.
    assert "INFO" not in out.stderr and "alembic" not in out.stderr, out.stderr


def test_chat_picks_a_choice_by_its_words_and_ends_on_eof(settings: Settings) -> None:
    out = run(settings, "chat", "--sender", "words", stdin="你好\n转人工")
    assert out.returncode == 0, out.stderr
    assert "工作人员" in out.stdout.split("您：转人工", 1)[1]
    assert out.stdout.splitlines()[-1] == GOODBYE


def test_chat_verbose_shows_the_log_on_stderr(settings: Settings) -> None:
    out = run(settings, "chat", "--verbose", stdin="你好\n", env={"LOG_LEVEL": "INFO"})
    assert out.returncode == 0, out.stderr
    assert "INFO" in out.stderr and "INFO" not in out.stdout


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
