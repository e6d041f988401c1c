"""Telegram webhook benchmark: N updates posted to `POST /telegram/webhook`, answered through a fake Bot API.

Each update goes the whole way: secret check, `Update.de_json`, the handlers, a dialogue turn with its
database transaction, and the `sendMessage` call to the fake Bot API. The app and the fake Bot API run
on uvicorn in background threads of this process, on a fresh SQLite database. With trained models
(`models/.built`) the messages go through the real NLU; with `--nlu none` (or no models) only commands
and button payloads are sent, which measures the channel and the engine without the classifier.

Usage: python bench/telegram_bench.py [--updates 400] [--concurrency 8] [--residents 40]
                                      [--nlu auto|real|none]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.backend.migrate import upgrade  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.channels.conftest import FindsNothing, UnderstandsNothing  # noqa: E402
from tests.channels.fake_bot_api import TOKEN, FakeBotApi, message_update  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402

SECRET = "bench-webhook-secret"
REAL_TEXTS = ["你好", "高龄津贴要带什么材料", "社区食堂几点开门", "/greet", "楼道灯坏了", "谢谢"]
PLAIN_TEXTS = ["/greet", "/start", "/ask_service_info", "/help", "/check_status"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def drive(
    url: str, fake: FakeBotApi, updates: int, concurrency: int, residents: int, texts: list[str]
) -> tuple[list[float], float]:
    """Post the updates with `concurrency` clients; returns per-update latencies and wall time."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for i in range(updates):
        user_id = 5_000_000 + i % residents
        queue.put_nowait(
            message_update(fake.next_update_id(), user_id, text=texts[(i // residents) % len(texts)])
        )
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            update = queue.get_nowait()
            t0 = time.perf_counter()
            r = await client.post(
                "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            latencies.append(time.perf_counter() - t0)
            r.raise_for_status()

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, wall


def main() -> None:
    """Run the benchmark and print updates/s and latency percentiles."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument("--nlu", choices=["auto", "real", "none"], default="auto")
    args = parser.parse_args()

    from bot.api.app import create_app
    from bot.bootstrap import build_nlu, build_retriever, build_runtime

    fake = FakeBotApi()
    fake_server = fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(_env_file=None, environment="development", var_dir=Path(tmp))  # type: ignore[call-arg]
        use_real = args.nlu == "real" or (args.nlu == "auto" and (base.model_dir / ".built").exists())
        settings = base.model_copy(
            update={
                "database_url": f"sqlite:///{Path(tmp) / 'bench.db'}",
                "log_level": "WARNING",
                "telegram_bot_token": SecretStr(TOKEN),
                # Webhook mode: with a webhook address set the bot does not also poll.
                "telegram_webhook_url": "https://linli.example/telegram/webhook",
                "telegram_api_base_url": f"{fake.url}/bot",
                "telegram_api_file_url": f"{fake.url}/file/bot",
                "telegram_webhook_secret": SecretStr(SECRET),
                "rate_limit_per_minute": 10_000,
            }
        )
        upgrade(settings.database_url)
        nlu = build_nlu(settings) if use_real else UnderstandsNothing()
        retriever = build_retriever(settings) if use_real else FindsNothing()
        runtime = build_runtime(settings, nlu=nlu, retriever=retriever)
        app_server = LiveServer(create_app(runtime))
        url = app_server.start()
        try:
            texts = REAL_TEXTS if use_real else PLAIN_TEXTS
            asyncio.run(
                drive(url, fake, min(40, args.updates), args.concurrency, args.residents, texts)
            )  # warm-up
            latencies, wall = asyncio.run(
                drive(url, fake, args.updates, args.concurrency, args.residents, texts)
            )
        finally:
            app_server.stop()
            fake_server.stop()
    ms = [x * 1000 for x in latencies]
    print(
        f"telegram webhook: {args.updates} updates, {args.concurrency} concurrent, "
        f"{args.residents} residents, "
        f"NLU {'real' if use_real else 'none (commands and payloads)'}"
    )
    print(f"  throughput   {args.updates / wall:8.1f} updates/s")
    print(f"  latency p50  {statistics.median(ms):8.1f} ms")
    print(f"  latency p99  {_percentile(ms, 0.99):8.1f} ms")
    print(f"  sendMessage  {len(fake.sent())} calls to the fake Bot API")


if __name__ == "__main__":
    main()
