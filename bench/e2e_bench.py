"""End-to-end benchmark: N concurrent REST clients, each a realistic multi-turn conversation.

Starts `linli serve` in its own process (so the load generator does not share its interpreter), drives it with
asyncio clients, and prints latency p50/p99 and messages per second including every database write, then a
single client's p50, and the memory of each server worker. With several worker counts it runs each on a fresh
database in the same run and prints the throughput ratio to one worker, and the CPU each message cost the
server, PostgreSQL and the load generator (on a small machine all three share the cores). The load generator
is a minimal keep-alive HTTP client (`lean_http.py`) so that it takes as little of that CPU as it can.

    python bench/e2e_bench.py [--clients 8] [--rounds 5]
    python bench/e2e_bench.py --workers 1,2 --database postgresql://postgres@127.0.0.1:5432/test [--repeat 3]
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
from lean_http import LeanConnection

ROOT = Path(__file__).resolve().parent.parent
GOAL_P50_MS, GOAL_RATE, GOAL_RSS_MB, GOAL_SCALING = 15.0, 150.0, 300.0, 1.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def conversation(client: LeanConnection, sender: str, latencies: list[float]) -> None:
    """Greeting, a documents question, a booking with a button press, a request, a status check."""

    async def say(text: str) -> dict:
        t0 = time.perf_counter()
        status, answer = await client.post_json("/api/v1/messages",
                                                {"sender": sender, "text": text, "channel": "web"})
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"{status}: {answer}")
        return answer  # type: ignore[no-any-return]

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
    """`clients` residents talking at any moment, `rounds` conversations in each of those places.

    Each conversation is a new resident on a keep-alive connection of its own, as on a real phone: the
    server's workers share connections, not requests, so many short-lived residents (not a few
    everlasting connections) are what spreads the load over them.

    Each place starts its next resident as soon as its last one is done, without waiting for the other
    places: residents do not arrive in rounds. Waiting for a whole round to finish (as this benchmark once
    did) left a worker idle whenever chance gave it fewer of the round's connections: with 8 connections
    on 2 workers, the busier one holds 5.1 on average, so a round took 5.1 conversations' time, not 4.
    """
    latencies: list[float] = []

    async def resident(sink: list[float]) -> None:
        conn = LeanConnection(url)
        try:
            await conversation(conn, f"web-{secrets.token_urlsafe(24)}", sink)
        finally:
            await conn.close()

    async def place() -> None:
        for _ in range(rounds):
            await resident(latencies)

    await resident([])
    t0 = time.perf_counter()
    await asyncio.gather(*(place() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return latencies, elapsed


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids_named(name: str) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == name:
                    out.append(int(proc.name))
            except OSError:
                continue
    return out


def cpu_split(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes, by PostgreSQL's, and by this load generator.

    On a 2-core machine the three compete: what PostgreSQL and the load generator use per message is
    taken from the workers, and bounds what a second worker can add.
    """
    children = [int(c) for c in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()]
    me = os.times()
    return {"server": sum(_cpu_seconds(p) for p in [server_pid, *children]),
            "postgres": sum(_cpu_seconds(p) for p in _pids_named("postgres")),
            "client": me.user + me.system}


def worker_rss(server_pid: int) -> list[float]:
    """RSS of each serving process: the workers under a supervisor, or the server itself."""
    children = [int(c) for c in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()]
    return [_rss_mb(pid) for pid in (children or [server_pid])]


class Database:
    """A fresh database for one run: a SQLite file, or a new database on the given PostgreSQL server."""

    def __init__(self, base: str | None, tmp: str) -> None:
        self.base = base
        self.name = f"linli_bench_{secrets.token_hex(4)}"
        if base is None:
            self.url = f"sqlite:///{tmp}/{self.name}.db"
            return
        import sqlalchemy as sa
        from sqlalchemy.engine import make_url

        # make_url keeps the query, e.g. ?host=/var/run/postgresql for a Unix socket instead of TCP.
        self._admin = sa.create_engine(make_url(base).set(drivername="postgresql+psycopg"),
                                       isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(base).set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.base is not None:
            with self._admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin.dispose()


def run_one(workers: int, database: str | None, clients: int, rounds: int, tmp: str) -> dict[str, float]:
    """One server with `workers` processes on a fresh database: load, then one client, then memory."""
    db = Database(database, tmp)
    port = _free_port()
    # Every simulated resident comes from this one address: the per-address limit is off (0) here.
    env = {**os.environ, "DATABASE_URL": db.url, "LOG_LEVEL": "WARNING", "ENVIRONMENT": "development",
           "VAR_DIR": tmp, "RATE_LIMIT_ADDRESS_PER_MINUTE": "0"}
    linli = Path(sys.executable).parent / "linli"
    server = subprocess.Popen([str(linli), "serve", "--port", str(port), "--workers", str(workers),
                               "--no-access-log"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        before = cpu_split(server.pid)
        latencies, elapsed = asyncio.run(drive(url, clients, rounds))
        after = cpu_split(server.pid)
        single, _ = asyncio.run(drive(url, 1, rounds))
        rss = worker_rss(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.drop()
    ms = sorted(x * 1000 for x in latencies)
    return {"messages": len(ms), "rate": len(ms) / elapsed, "p50": statistics.median(ms),
            "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))], "single_p50": statistics.median(single) * 1000,
            "rss_max": max(rss), "rss_total": sum(rss), "processes": len(rss),
            **{f"cpu_{k}": (after[k] - before[k]) * 1000 / len(ms) for k in before}}


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate among repeats, so that its other figures belong to the same run."""
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", default="1", help="worker counts to compare, e.g. 1,2 (PostgreSQL for >1)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="run every worker count this many times, interleaved, and report medians "
                             "(default: 3 when worker counts are compared, else 1)")
    parser.add_argument("--database", default=None,
                        help="a PostgreSQL server URL; each run gets a fresh database on it (default: SQLite)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    # One pair of runs is at the mercy of the machine's drift; three interleaved pairs give a median.
    args.repeat = args.repeat or (3 if len(counts) > 1 else 1)
    if max(counts) > 1 and not args.database:
        parser.error("several workers need --database postgresql://…")
    tmp = tempfile.mkdtemp(prefix="linli-bench-")
    # Interleaved (1, 2, 1, 2, …) rather than (1, 1, 2, 2): a small shared machine's speed drifts by a third
    # from minute to minute, and runs next to each other see about the same machine. Each repeat's ratio
    # compares neighbours; the median of those ratios is the figure that does not depend on the drift.
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
    ratios: list[float] = []
    for i in range(args.repeat):
        for n in counts:
            runs[n].append(run_one(n, args.database, args.clients, args.rounds, tmp))
        ratios.append(runs[counts[-1]][i]["rate"] / runs[counts[0]][i]["rate"])
        if args.repeat > 1:
            print(f"repeat {i + 1}: " + ", ".join(f"workers={n} {runs[n][i]['rate']:.1f} messages/s" for n in counts)
                  + f" (x{ratios[-1]:.2f})", flush=True)
    results = {n: _median_run(rs) for n, rs in runs.items()}
    base = results[counts[0]]["rate"]
    print(f"clients={args.clients} rounds={args.rounds} repeats={args.repeat} "
          f"database={'postgresql' if args.database else 'sqlite'}")
    for n, r in results.items():
        print(f"workers={n}: {r['messages']:.0f} messages, {r['rate']:.1f} messages/s "
              f"(goal >= {GOAL_RATE}: ratio {r['rate'] / GOAL_RATE:.2f}; x{r['rate'] / base:.2f} of {counts[0]} worker)"
              f"  p50={r['p50']:.1f} ms p99={r['p99']:.1f} ms  single client p50={r['single_p50']:.1f} ms "
              f"(goal <= {GOAL_P50_MS}: ratio {r['single_p50'] / GOAL_P50_MS:.2f})  "
              f"RSS per worker {r['rss_max']:.0f} MB (goal <= {GOAL_RSS_MB}: ratio {r['rss_max'] / GOAL_RSS_MB:.2f})  "
              f"CPU per message: server {r['cpu_server']:.1f} ms, PostgreSQL {r['cpu_postgres']:.1f} ms, "
              f"load generator {r['cpu_client']:.1f} ms")
    if len(counts) > 1:
        print(f"workers={counts[-1]} against workers={counts[0]}, run next to each other: "
              f"median x{statistics.median(ratios):.2f} (goal >= x{GOAL_SCALING}: "
              f"ratio {statistics.median(ratios) / GOAL_SCALING:.2f}); each repeat "
              + ", ".join(f"x{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
