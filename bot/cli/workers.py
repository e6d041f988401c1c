"""Several server processes on one port, each accepting on a listening socket of its own.

uvicorn's (and gunicorn's) supervisors open one listening socket and share it between the workers: the
worker that wakes first accepts, and a burst of keep-alive connections all lands on it. Measured with
8 keep-alive clients and 2 workers, one worker used 3.4 s of CPU and the other 0.01 s, so a second worker
added nothing. Here each worker binds its own socket with SO_REUSEPORT, and the kernel spreads new
connections over them (by a hash of the client address and port). Written by hand because neither
server offers a socket per worker; uvicorn still serves each one (`Server.run(sockets=…)`).

The supervisor restarts a worker that dies (a crash or the OOM killer), gives up if workers keep dying
at start (a port taken by another program, a broken configuration), and on SIGTERM or SIGINT stops
them gracefully: uvicorn finishes the requests under way.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

APP_FACTORY = "bot.api.factory:app_from_settings"
# A worker that dies sooner than this after starting counts as failing to start.
EARLY_DEATH_SECONDS = 10.0
MAX_EARLY_DEATHS = 5
STOP_SECONDS = 30.0


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port that other processes of this user may bind too (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve_one(options: dict[str, Any]) -> None:
    """One worker: its own socket, its own app built from the environment, served by uvicorn."""
    import uvicorn

    sock = reuseport_socket(options["host"], options["port"])
    config = uvicorn.Config(APP_FACTORY, factory=True, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(count: int, options: dict[str, Any], *, poll_seconds: float = 0.5) -> int:
    """Run `count` workers until SIGTERM or SIGINT; the exit status (1 when workers kept dying at start)."""
    # Fails here, with a clear error, when the port is taken by a program that did not set SO_REUSEPORT.
    reuseport_socket(options["host"], options["port"]).close()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the parent is shared
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def start(index: int) -> tuple[BaseProcess, float]:
        proc = context.Process(target=serve_one, args=(options,), name=f"linli-worker-{index}")
        proc.start()
        return proc, time.monotonic()

    workers = [start(i) for i in range(count)]
    early_deaths = 0
    status = 0
    try:
        while not stopping:
            for i, (proc, started) in enumerate(workers):
                if proc.is_alive():
                    continue
                if time.monotonic() - started < EARLY_DEATH_SECONDS:
                    early_deaths += 1
                log.warning("worker %s exited with %s; starting another", proc.name, proc.exitcode)
                if early_deaths >= MAX_EARLY_DEATHS:
                    log.error("workers keep dying at start; stopping")
                    status = 1
                    stopping = True
                    break
                workers[i] = start(i)
            time.sleep(poll_seconds)
    finally:
        for proc, _ in workers:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes what is under way
        deadline = time.monotonic() + STOP_SECONDS
        for proc, _ in workers:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
