"""Memory of one serving worker: start `linli serve`, hold a few dozen conversations, read its RSS.

The target is 300 MB per worker with the default models. The server runs in its own process on a fresh
SQLite database and var directory, on a free port; messages go through POST /api/v1/messages from
web senders with secret ids. It prints the resident set (psutil when installed, else /proc), its peak,
its private and file-backed parts (file-backed pages such as the memory-mapped index and embedding
table are shared by every worker on a machine), the import time and the start-up time.

`--before` also starts the server the way it ran before the numpy encoder, with sentence-transformers
(and so torch) imported first, as `load_encoder` did for every model; the two runs side by side are
the before and after figures.

Usage: python bench/memory_bench.py [--senders 6] [--before]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300.0
# One resident's turns: greeting, service questions (retrieval), a report, small talk.
TURNS = [
    "你好",
    "高龄津贴要带什么材料",
    "老人去哪吃饭",
    "低保怎么申请",
    "楼道灯坏了三天了",
    "家庭医生怎么签约",
    "社保卡丢了怎么补办",
    "谢谢",
]
# The old start: sentence-transformers imported before anything else, as load_encoder imported it.
_BEFORE = "import sys, sentence_transformers; from bot.cli import main; sys.argv[0] = 'linli'; sys.exit(main())"


@dataclass
class Run:
    """What one server run measured."""

    label: str
    messages: int
    startup_s: float
    import_s: float
    rss_mb: float
    peak_mb: float
    anon_mb: float
    file_mb: float
    torch: bool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon and RssFile of a process in MB, from /proc."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"}:
            out[key] = int(value.split()[0]) / 1024
    return out


def _rss_mb(pid: int) -> float:
    """The resident set in MB: psutil's figure when it is installed, the kernel's VmRSS otherwise."""
    try:
        import psutil
    except ImportError:
        return _status(pid)["VmRSS"]
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def _import_seconds(log: Path) -> float:
    """Total of the top-level cumulative times `-X importtime` wrote (nested imports are inside them)."""
    total = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m:  # a name without leading spaces is a top-level import
            total += int(m.group(1))
    return total / 1e6


def _loaded_torch(pid: int) -> bool:
    """Whether the process has torch's shared library mapped."""
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def _converse(url: str, senders: int) -> int:
    """Each sender says every turn; returns how many messages were answered."""
    answered = 0
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(senders):
            sender = f"web-{secrets.token_urlsafe(24)}"
            for text in TURNS:
                r = client.post("/api/v1/messages", json={"sender": sender, "text": text, "channel": "web"})
                r.raise_for_status()
                answered += bool(r.json()["replies"])
    return answered


def run(label: str, command: list[str], senders: int) -> Run:
    """Start a server with `command` (followed by serve arguments), talk to it, measure, stop it."""
    tmp = Path(tempfile.mkdtemp(prefix="linli-membench-"))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "LOG_LEVEL": "WARNING",
           "ENVIRONMENT": "development", "VAR_DIR": str(tmp), "RATE_LIMIT_ADDRESS_PER_MINUTE": "0"}
    log = tmp / "imports.log"
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as err:
        server = subprocess.Popen([*command, "serve", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=err)
        try:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"{label}: the server exited with {server.returncode}; see {log}")
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            startup = time.perf_counter() - started
            messages = _converse(url, senders)
            rss, status, torch = _rss_mb(server.pid), _status(server.pid), _loaded_torch(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=20)
    imports = _import_seconds(log)
    shutil.rmtree(tmp, ignore_errors=True)  # kept only when the server failed, for its log
    return Run(label, messages, startup, imports, rss, status["VmHWM"], status["RssAnon"],
               status["RssFile"] + status.get("RssShmem", 0.0), torch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=6, help="residents, each sending every turn")
    parser.add_argument("--before", action="store_true", help="also measure the server with torch imported")
    args = parser.parse_args()
    python = [sys.executable, "-X", "importtime"]
    runs = [run("now", [*python, str(Path(sys.executable).parent / "linli")], args.senders)]
    if args.before:
        runs.append(run("before (torch)", [*python, "-c", _BEFORE], args.senders))
    for r in runs:
        print(f"{r.label}: {r.messages} messages answered; torch loaded: {'yes' if r.torch else 'no'}")
        print(f"  RSS {r.rss_mb:.0f} MB (target {TARGET_MB:.0f} MB: ratio {r.rss_mb / TARGET_MB:.2f}), "
              f"peak {r.peak_mb:.0f} MB; private {r.anon_mb:.0f} MB, file-backed {r.file_mb:.0f} MB")
        print(f"  imports {r.import_s:.2f} s, start-up to first /health {r.startup_s:.2f} s")
    if len(runs) == 2:
        now, before = runs
        print(f"RSS {before.rss_mb:.0f} → {now.rss_mb:.0f} MB ({now.rss_mb / before.rss_mb:.2f}x); "
              f"imports {before.import_s:.2f} → {now.import_s:.2f} s; "
              f"start-up {before.startup_s:.2f} → {now.startup_s:.2f} s")


if __name__ == "__main__":
    main()
