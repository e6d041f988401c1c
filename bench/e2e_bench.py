"""End-to-end benchmark: N concurrent REST clients, each a realistic multi-turn conversation.

Starts `linli serve` in its own process on a fresh SQLite database (so the load generator does not
share its interpreter), drives it with asyncio clients, and prints latency p50/p99 and messages per
second including every database write. Usage: python bench/e2e_bench.py [--clients 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GOAL_P50_MS, GOAL_RATE = 15.0, 150.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def conversation(client: httpx.AsyncClient, sender: str, latencies: list[float]) -> None:
    """Greeting, a documents question, a booking with a button press, a request, a status check."""

    async def say(text: str) -> dict:
        t0 = time.perf_counter()
        r = await client.post("/api/v1/messages", json={"sender": sender, "text": text, "channel": "web"})
        latencies.append(time.perf_counter() - t0)
        r.raise_for_status()
        return r.json()

    await say("你好")
    await say("高龄津贴要带什么材料")
    out = await say("我想预约后天上午的助浴服务")
    buttons = [b for rep in out["replies"] for b in rep["buttons"]]
    if buttons:
        await say(buttons[0]["payload"])
        await say("1个人")
        await say("王阿姨")
        await say("13812345678")
        await say("/deny")
    await say("楼道灯坏了三天了")
    await say("5号楼2单元楼道")
    await say("13912345678")
    out = await say("/affirm")
    m = re.search(r"GD\d{11}", " ".join(rep["text"] for rep in out["replies"]))
    await say(f"{m.group(0)}到哪一步了" if m else "我报的修怎么样了")
    await say("谢谢")


async def drive(url: str, clients: int, rounds: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await conversation(client, f"web-{secrets.token_urlsafe(24)}", [])
        t0 = time.perf_counter()
        for _ in range(rounds):
            senders = [f"web-{secrets.token_urlsafe(24)}" for _ in range(clients)]
            await asyncio.gather(*(conversation(client, sender, latencies) for sender in senders))
        elapsed = time.perf_counter() - t0
    return latencies, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="linli-bench-")
    port = _free_port()
    # Every simulated resident comes from this one address: the per-address limit is off (0) here.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "LOG_LEVEL": "WARNING",
           "ENVIRONMENT": "development", "VAR_DIR": tmp, "RATE_LIMIT_ADDRESS_PER_MINUTE": "0"}
    linli = Path(sys.executable).parent / "linli"
    server = subprocess.Popen([str(linli), "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies, elapsed = asyncio.run(drive(url, args.clients, args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=20)
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    rate = len(ms) / elapsed
    print(f"clients={args.clients} rounds={args.rounds} messages={len(ms)} seconds={elapsed:.2f}")
    print(f"latency p50={p50:.1f} ms  p99={p99:.1f} ms  (goal p50 <= {GOAL_P50_MS} ms: ratio {p50 / GOAL_P50_MS:.2f})")
    print(f"throughput {rate:.1f} messages/s  (goal >= {GOAL_RATE}: ratio {rate / GOAL_RATE:.2f})")


if __name__ == "__main__":
    main()
