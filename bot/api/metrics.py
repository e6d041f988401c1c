"""Prometheus metrics at GET /metrics: what residents asked, how fast they were answered, what is waiting.

Two kinds of figures, kept apart on purpose:

- **Counted as it happens** (turns, handoffs, duplicate deliveries, turn and HTTP latency, NLU confidence):
  kept in the process. One process keeps them in a registry of its own app (no module-global registry, so
  two apps in one process never mix figures). With several workers, `PROMETHEUS_MULTIPROC_DIR` names a
  directory where every worker writes its figures (prometheus-client's multiprocess mode) and a scrape,
  whichever worker answers it, adds them all up.
- **Read from the database at scrape time** (outbox rows waiting or failed, escalations waiting for staff):
  the same figures from every process and every replica, so a dashboard takes `max`, not `sum`, of them.

No personal data leaves here: labels are channel names, intent names from the domain, HTTP route templates
(never the raw path, which may carry an id or a token), methods and status codes; never a sender, a text
or a community member's anything. Deployments still keep /metrics off the public proxy (docker/nginx.conf)
and can turn it off with METRICS_ENABLED=false.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.backend.escalations import OPEN_STATUSES
from bot.backend.models import Escalation, Outbox
from bot.backend.outbox import PUSH_CHANNELS
from bot.bootstrap import Runtime
from bot.dialogue.engine import InboundMessage, TurnResult
from bot.errors import ConfigurationError
from bot.nlu.types import ParseResult

log = logging.getLogger(__name__)

# A turn takes tens of milliseconds on SQLite and a warm model; seconds mean a slow database or NLU.
TURN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Finer around the fallback threshold (0.45 by default), where "understood" turns into "asked again".
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Intents not in the domain (a Rasa server with another model) share one label, so labels stay few.
OTHER_INTENT = "other"
UNMATCHED_ROUTE = "unmatched"
# The methods this app serves; WebDAV's and the like share one label, so clients cannot add series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
WAITING_STATUS = OPEN_STATUSES[0]  # 待处理: no staff member has taken the escalation yet


class Metrics:
    """The in-process metrics of one app, and how to render them with the database's figures."""

    def __init__(self, intents: Iterable[str], *, multiprocess_dir: str | None = None) -> None:
        if multiprocess_dir:
            _check_multiprocess(multiprocess_dir)
        self.multiprocess_dir = multiprocess_dir or None
        # `_created` timestamps double the exposition and mean nothing to a dashboard; multiprocess mode has
        # none, so turning them off also makes both modes show the same series. (A process-wide switch.)
        disable_created_metrics()
        # In multiprocess mode values live in the directory's files, so the metrics belong to no registry.
        self.registry = None if self.multiprocess_dir else CollectorRegistry()
        self.intents = frozenset(intents) | {"nlu_fallback", "out_of_scope"}
        reg = self.registry
        self.turns = Counter("linli_turns", "Resident messages answered, by channel and intent.",
                             ["channel", "intent"], registry=reg)
        self.handoff_turns = Counter(
            "linli_handoff_turns", "Turns that ended with the conversation with staff (handed over by the turn, "
            "or already waiting for them).", ["channel"], registry=reg)
        self.duplicates = Counter("linli_duplicate_messages",
                                  "Messages delivered again with an id already answered (replied from the record, "
                                  "nothing done twice).", ["channel"], registry=reg)
        self.turn_seconds = Histogram("linli_turn_duration_seconds", "Time to answer a message, NLU included.",
                                      ["channel"], buckets=TURN_BUCKETS, registry=reg)
        self.confidence = Histogram("linli_nlu_confidence",
                                    "Confidence of the best intent the NLU found (typed text, not buttons).",
                                    buckets=CONFIDENCE_BUCKETS, registry=reg)
        self.http_seconds = Histogram("linli_http_request_duration_seconds",
                                      "Time until the response starts, by route template (a stream's lifetime "
                                      "is not counted).", ["method", "route", "status"], buckets=HTTP_BUCKETS,
                                      registry=reg)

    def observe_turn(self, msg: InboundMessage, result: TurnResult, seconds: float, parse: ParseResult) -> None:
        """Count one answered message (the dialogue engine's `on_turn`)."""
        channel = msg.channel
        if result.duplicate:
            self.duplicates.labels(channel).inc()
            return
        intent = parse["intent"]["name"]
        self.turns.labels(channel, intent if intent in self.intents else OTHER_INTENT).inc()
        self.turn_seconds.labels(channel).observe(seconds)
        if result.handoff:
            self.handoff_turns.labels(channel).inc()
        confidence = nlu_confidence(parse)
        if confidence is not None:
            self.confidence.observe(confidence)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Time one HTTP request."""
        self.http_seconds.labels(method if method in METHODS else "other", route, str(status)).observe(seconds)

    def render(self, database: list[Metric], accept: str | None = None) -> tuple[bytes, str]:
        """The exposition (body, content type) of this process's or all workers' figures plus the database's."""
        registry = CollectorRegistry()
        if self.multiprocess_dir:
            MultiProcessCollector(registry, path=self.multiprocess_dir)
        else:
            assert self.registry is not None
            registry.register(_Delegate(self.registry.collect))
        registry.register(_Delegate(lambda: iter(database)))
        encoder, content_type = choose_encoder(accept or "")
        return encoder(registry), content_type


class _Delegate(Collector):
    """A collector that yields what a function gives, for one scrape's registry."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()


def _check_multiprocess(directory: str) -> None:
    """prometheus-client picks file-backed values when first imported; a late variable would count nothing."""
    if not os.path.isdir(directory):
        raise ConfigurationError(f"PROMETHEUS_MULTIPROC_DIR={directory} is not a directory")
    if values.ValueClass is values.MutexValue:
        raise ConfigurationError("PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported; "
                                 "set it in the environment before the server starts")


def nlu_confidence(parse: ParseResult) -> float | None:
    """The best real intent's confidence, or None when no classifier judged the text.

    A classifier ranks every intent; a button payload, an empty or symbols-only message and a failed NLU
    come with a single made-up entry, which would pile up at 1.0 (or 0.0) and hide how sure the NLU is.
    nlu_fallback stands for "below the threshold" with the threshold as its score, so the intent under it
    is what is measured.
    """
    ranking = parse.get("intent_ranking") or []
    if len(ranking) < 2:
        return None
    scores = [float(r["confidence"]) for r in ranking if r["name"] != "nlu_fallback"]
    return max(scores) if scores else None


async def waiting_families(sessionmaker: async_sessionmaker[AsyncSession], now: dt.datetime) -> list[Metric]:
    """Outbox and escalation figures read now, shared by every process; a database error is a 0 in _up."""
    up = GaugeMetricFamily("linli_database_up", "1 when /metrics could read the database's figures.")
    try:
        async with sessionmaker() as session:
            outbox = (await session.execute(
                select(Outbox.channel, Outbox.status, func.count(),
                       func.sum(case((Outbox.due_at <= now, 1), else_=0)))
                .where(Outbox.status.in_(("pending", "failed"))).group_by(Outbox.channel, Outbox.status))).all()
            waiting = (await session.execute(
                select(Escalation.urgent, func.count()).where(Escalation.status == WAITING_STATUS)
                .group_by(Escalation.urgent))).all()
    except (SQLAlchemyError, OSError):
        log.warning("metrics: could not read the outbox and escalations", exc_info=True)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, *_outbox_families(outbox), _escalation_family(waiting)]


def _outbox_families(rows: Iterable[Any]) -> list[Metric]:
    """Pending, due and failed outbox rows by channel; push channels always appear, at 0 when empty."""
    pending: dict[str, float] = dict.fromkeys(PUSH_CHANNELS, 0)
    due: dict[str, float] = dict.fromkeys(PUSH_CHANNELS, 0)
    failed: dict[str, float] = dict.fromkeys(PUSH_CHANNELS, 0)
    for channel, status, count, due_count in rows:
        if status == "pending":
            pending[channel] = count
            due[channel] = due_count or 0
        else:
            failed[channel] = count
    families: list[Metric] = []
    for name, doc, figures in (
        ("linli_outbox_pending", "Outbox rows not sent yet (reminders due later included), by channel.", pending),
        ("linli_outbox_due", "Outbox rows whose time has come and that are not sent yet, by channel.", due),
        ("linli_outbox_failed", "Outbox rows given up on after their last try, by channel.", failed),
    ):
        family = GaugeMetricFamily(name, doc, labels=["channel"])
        for channel in sorted(set(pending) | set(failed)):
            family.add_metric([channel], figures.get(channel, 0))
        families.append(family)
    return families


def _escalation_family(rows: Iterable[Any]) -> Metric:
    """Escalations no staff member has taken yet, urgent ones apart."""
    counts = {"true": 0.0, "false": 0.0}
    for urgent, count in rows:
        counts["true" if urgent else "false"] += count
    family = GaugeMetricFamily("linli_escalations_waiting", "Conversations waiting for a staff member to take "
                               "them (待处理).", labels=["urgent"])
    for urgent, count in counts.items():
        family.add_metric([urgent], count)
    return family


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/staff/work-orders/{number}`), never the path as requested."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return f"{path}/{{path}}" if isinstance(route, Mount) else path
    # A mounted app (static files) is not recorded as the route; the mount adds its prefix to root_path.
    prefix = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))):]
    return f"{prefix}/{{path}}" if prefix else UNMATCHED_ROUTE


class RequestTimer:
    """Times each HTTP request until its response starts (pure ASGI: streamed responses pass untouched)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        timed = False

        async def timed_send(message: Message) -> None:
            nonlocal timed
            if message["type"] == "http.response.start" and not timed:
                timed = True
                self.metrics.observe_request(scope["method"], route_template(scope), message["status"],
                                             time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except BaseException:
            if not timed:  # the error page is sent outside this middleware
                self.metrics.observe_request(scope["method"], route_template(scope), 500,
                                             time.perf_counter() - started)
            raise


def install_metrics(app: FastAPI, runtime: Runtime, *, enabled: bool | None = None) -> Metrics | None:
    """Serve /metrics, time every request and count every turn; nothing when METRICS_ENABLED is false.

    Call it from create_app before the app starts (it adds a middleware). `enabled` overrides the setting.
    PROMETHEUS_MULTIPROC_DIR is read here and not kept in Settings: prometheus-client decides by this same
    variable, at import, whether values go to files, so it is the one authority on the matter.
    """
    if enabled is None:
        enabled = runtime.settings.metrics_enabled
    if not enabled:
        return None
    intents = [i for i in runtime.dialogue.domain.raw.get("intents") or [] if isinstance(i, str)]
    metrics = Metrics(intents, multiprocess_dir=os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    app.state.metrics = metrics
    runtime.dialogue.on_turn = metrics.observe_turn
    app.add_middleware(RequestTimer, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        """The Prometheus exposition (text, or OpenMetrics when the scraper asks for it)."""
        database = await waiting_families(runtime.sessionmaker, runtime.services.clock())
        body, content_type = metrics.render(database, request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    return metrics
