"""`linli serve --workers N`: several processes on PostgreSQL; SQLite stays one process and says so."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.config import PROJECT_ROOT, Settings
from tests.conftest import TEST_SECRET_KEY, _truncate_postgres

LINLI = str(Path(sys.executable).parent / "linli")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, model_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "MODEL_DIR": str(model_dir), "ENVIRONMENT": "test",
            "SECRET_KEY": TEST_SECRET_KEY, "LOG_LEVEL": "WARNING"}


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Until the server answers /health; fails with the server's log if it exits first."""
    for _ in range(1200):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        time.sleep(0.1)
    raise AssertionError("server did not start")


def _serve_two_workers(database_url: str, model_dir: Path,
                       tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`linli serve --workers 2` on a free port, answering /health; the process, its URL and its log."""
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([LINLI, "serve", "--workers", "2", "--port", str(port), "--no-access-log"],
                            env=_env(database_url, model_dir), cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url, log)
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        raise
    return proc, url, log


def test_sqlite_refuses_several_workers(settings: Settings) -> None:
    out = subprocess.run([LINLI, "serve", "--workers", "2"], env=_env(settings.database_url, settings.model_dir),
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "SQLite" in out.stderr and "PostgreSQL" in out.stderr


def test_a_server_without_a_secret_key_does_not_start(settings: Settings) -> None:
    env = _env(settings.database_url, settings.model_dir)
    del env["SECRET_KEY"]
    env["ENVIRONMENT"] = "production"
    out = subprocess.run([LINLI, "serve"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr


@pytest.mark.postgres
def test_two_workers_serve_one_conversation_on_postgresql(postgres_database: str, model_dir: Path,
                                                         tmp_path: Path) -> None:
    proc, url, log = _serve_two_workers(postgres_database, model_dir, tmp_path)
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) >= 2, "two worker processes under the supervisor"
        sender = "web-" + secrets.token_urlsafe(24)
        with httpx.Client(base_url=url, timeout=30) as client:
            # New connections each time, so the turns are spread over both workers.
            texts = ["楼道灯坏了三天了", "5号楼2单元楼道", "13912345678"]
            answers = [httpx.post(f"{url}/api/v1/messages", json={"sender": sender, "text": t}).json()
                       for t in texts]
            assert len({a["conversation_id"] for a in answers}) == 1, "one conversation, whichever worker answers"
            assert "确认" in "".join(b["title"] for r in answers[-1]["replies"] for b in r["buttons"])
            assert client.get("/health").json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        _truncate_postgres(postgres_database)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers(pid: int) -> list[int]:
    """The serving processes under the supervisor (multiprocessing's helpers hold no socket and use no CPU)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.postgres
def test_residents_are_spread_over_the_workers_and_a_dead_worker_is_replaced(
        postgres_database: str, model_dir: Path, tmp_path: Path) -> None:
    proc, url, log = _serve_two_workers(postgres_database, model_dir, tmp_path)
    try:
        time.sleep(2)  # both workers up, not only the first to answer
        before = {pid: _cpu_seconds(pid) for pid in _workers(proc.pid)}
        # 30 residents, each on a keep-alive connection of its own, as 30 phones would be.
        for _ in range(30):
            with httpx.Client(base_url=url, timeout=30) as phone:
                for text in ("你好", "高龄津贴要带什么材料"):
                    assert phone.post("/api/v1/messages", json={"text": text}).status_code == 200
        used = {pid: _cpu_seconds(pid) - t for pid, t in before.items()}
        busy = [pid for pid, seconds in used.items() if seconds > 0.05]
        assert len(busy) == 2, f"one worker took every resident: CPU seconds per process {used}"

        victim = busy[0]
        os.kill(victim, signal.SIGKILL)
        for _ in range(200):
            if victim not in _workers(proc.pid) and len(used) <= len(_workers(proc.pid)):
                break
            time.sleep(0.1)
        assert victim not in _workers(proc.pid) and len(_workers(proc.pid)) >= len(used)
        _wait_healthy(proc, url, log)
        for _ in range(6):  # whichever worker a new connection reaches answers
            assert httpx.post(f"{url}/api/v1/messages", json={"text": "你好"}, timeout=30).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        _truncate_postgres(postgres_database)
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]
