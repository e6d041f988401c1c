"""GET /metrics through the live server: turns, latencies and confidence counted, waiting work read from the
database at scrape time, no personal data, and the figures of several worker processes added up."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.api.metrics import Metrics, nlu_confidence
from bot.config import PROJECT_ROOT
from bot.dialogue.engine import InboundMessage, TurnResult
from bot.errors import ConfigurationError
from bot.nlu.types import ParseResult
from tests.conftest import TEST_NOW, FixedClock, _base_settings, make_live, run
from tests.resident import Resident

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: httpx.Client) -> tuple[str, Samples]:
    """The /metrics body and its samples by (name, labels), parsed as Prometheus parses them."""
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text, samples_of(r.text)


def samples_of(body: str) -> Samples:
    """Samples by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; a missing sample is a test failure that names it."""
    key = (name, frozenset(labels.items()))
    assert key in samples, f"{name}{labels} missing; have {sorted(k for k in samples if k[0] == name)}"
    return samples[key]


def test_turns_are_counted_by_channel_and_intent_with_latency_and_confidence(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("你好")
    r.say("高龄津贴要带什么材料")
    r.press_first()  # a button: counted as a turn, not as an NLU confidence
    r.say("你好", message_id="m-1")
    r.say("你好", message_id="m-1")  # the same message delivered again: answered from the record

    _, s = scrape(live)
    assert value(s, "linli_turns_total", channel="web", intent="greet") == 2
    assert value(s, "linli_turns_total", channel="web", intent="ask_documents") == 1
    assert sum(v for (n, _), v in s.items() if n == "linli_turns_total") == 4
    assert value(s, "linli_duplicate_messages_total", channel="web") == 1
    assert value(s, "linli_turn_duration_seconds_count", channel="web") == 4
    assert value(s, "linli_turn_duration_seconds_bucket", channel="web", le="+Inf") == 4
    assert value(s, "linli_turn_duration_seconds_sum", channel="web") > 0
    # The three typed messages were judged by the NLU; the button press was not.
    assert value(s, "linli_nlu_confidence_count") == 3
    assert value(s, "linli_http_request_duration_seconds_count",
                 method="POST", route="/api/v1/messages", status="200") == 5


def test_a_handoff_is_counted_and_the_waiting_escalation_shows(live_any: httpx.Client) -> None:
    _, before = scrape(live_any)
    assert value(before, "linli_escalations_waiting", urgent="false") == 0
    r = Resident(live_any)
    r.say("转人工")
    _, s = scrape(live_any)
    assert value(s, "linli_turns_total", channel="web", intent="request_human") == 1
    assert value(s, "linli_handoff_turns_total", channel="web") == 1
    assert value(s, "linli_escalations_waiting", urgent="false") == 1
    assert value(s, "linli_escalations_waiting", urgent="true") == 0


def _outbox(database_url: str, conversation_id: int, rows: Iterable[tuple[str, str, dt.datetime]]) -> list[int]:
    """Outbox rows (channel, status, due) for a conversation, written straight to the test database."""
    from bot.backend.db import create_engine, create_sessionmaker
    from bot.backend.models import Outbox

    async def go() -> list[int]:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                added = [Outbox(conversation_id=conversation_id, channel=channel, kind="reminder", text="明天见",
                                buttons=[], status=status, due_at=due) for channel, status, due in rows]
                session.add_all(added)
                await session.flush()
                return [o.id for o in added]
        finally:
            await engine.dispose()

    return run(go())  # type: ignore[no-any-return]


def _set_status(database_url: str, row_id: int, status: str) -> None:
    from bot.backend.db import create_engine, create_sessionmaker
    from bot.backend.models import Outbox

    async def go() -> None:
        engine = create_engine(database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                row = await session.get(Outbox, row_id)
                assert row is not None
                row.status = status
        finally:
            await engine.dispose()

    run(go())


def test_outbox_backlog_and_failures_are_read_from_the_database_at_each_scrape(live_any: httpx.Client) -> None:
    _, empty = scrape(live_any)
    for name in ("linli_outbox_pending", "linli_outbox_due", "linli_outbox_failed"):
        assert value(empty, name, channel="telegram") == 0, "push channels show 0 rather than nothing"
    r = Resident(live_any)
    r.say("你好")
    conversation = r.last["conversation_id"]
    past, future = TEST_NOW - dt.timedelta(minutes=5), TEST_NOW + dt.timedelta(hours=8)
    ids = _outbox(live_any.database_url, conversation, [  # type: ignore[attr-defined]
        ("telegram", "pending", past), ("telegram", "pending", past), ("telegram", "pending", future),
        ("wecom", "failed", past), ("telegram", "sent", past),
    ])

    _, s = scrape(live_any)
    assert value(s, "linli_outbox_pending", channel="telegram") == 3
    assert value(s, "linli_outbox_due", channel="telegram") == 2, "the reminder due tonight is not backlog yet"
    assert value(s, "linli_outbox_failed", channel="wecom") == 1
    assert value(s, "linli_outbox_failed", channel="telegram") == 0
    assert value(s, "linli_database_up") == 1

    _set_status(live_any.database_url, ids[0], "sent")  # type: ignore[attr-defined]
    _, after = scrape(live_any)
    assert value(after, "linli_outbox_pending", channel="telegram") == 2
    assert value(after, "linli_outbox_due", channel="telegram") == 1


def test_metrics_carry_no_sender_text_token_or_raw_path(live: httpx.Client) -> None:
    r = Resident(live)
    r.say("我的电话是13812345678，住5号楼")
    conversation, token = r.last["conversation_id"], r.last["conversation_token"]
    live.get(f"/api/v1/conversations/{conversation}/messages", params={"token": token})
    assert live.get("/static/chat.js").status_code == 200
    missing = f"/no-such-page-{uuid.uuid4().hex}"
    assert live.get(missing).status_code == 404
    live.request("PROPFIND", "/health")  # WebDAV and kin: methods beyond REST share one label

    body, s = scrape(live)
    for secret in (r.sender, token, "13812345678", "5号楼", missing):
        assert secret not in body
    routes = {dict(labels)["route"] for name, labels in s if name == "linli_http_request_duration_seconds_count"}
    assert "/api/v1/conversations/{conversation_id}/messages" in routes
    assert "/static/{path}" in routes, "a mounted app is labelled by its prefix"
    assert "unmatched" in routes
    assert not any(str(conversation) in route.split("/") for route in routes), routes
    methods = {dict(labels)["method"] for name, labels in s if name == "linli_http_request_duration_seconds_count"}
    assert methods == {"GET", "POST", "other"}


def test_metrics_can_be_turned_off(database_url: str, model_dir: Path, nlu: object, retriever: object,
                                   clock: FixedClock) -> None:
    settings = _base_settings(database_url=database_url, model_dir=model_dir, metrics_enabled=False)
    server, _ = make_live(settings, nlu, retriever, clock=clock)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/metrics").status_code == 404
            Resident(client).say("你好")  # turns go on without anyone counting them
    finally:
        server.stop()


def _parse(intent: str, confidence: float, ranking: list[tuple[str, float]]) -> ParseResult:
    return ParseResult(text="x", intent={"name": intent, "confidence": confidence},
                       intent_ranking=[{"name": n, "confidence": c} for n, c in ranking], entities=[])


def test_confidence_is_the_best_real_intent_and_buttons_are_left_out() -> None:
    below = _parse("nlu_fallback", 0.45, [("nlu_fallback", 0.45), ("inform", 0.3), ("greet", 0.2)])
    assert nlu_confidence(below) == 0.3, "under the fallback is the score the NLU really gave"
    assert nlu_confidence(_parse("greet", 1.0, [("greet", 1.0)])) is None, "a button payload is no judgement"
    assert nlu_confidence(_parse("greet", 0.9, [("greet", 0.9), ("thank", 0.1)])) == 0.9


def test_two_apps_in_one_process_keep_their_own_figures() -> None:
    first, second = Metrics(["greet"]), Metrics(["greet"])
    first.observe_turn(InboundMessage(sender="s", text="你好"), TurnResult(1, "t", []), 0.02,
                       _parse("greet", 0.9, [("greet", 0.9), ("thank", 0.1)]))
    assert value(samples_of(first.render([])[0].decode()), "linli_turns_total", channel="web", intent="greet") == 1
    assert ("linli_turns_total", frozenset({("channel", "web"), ("intent", "greet")})) not in samples_of(
        second.render([])[0].decode())


WORKER = textwrap.dedent("""
    import os, sys
    from bot.api.metrics import Metrics
    from bot.dialogue.engine import InboundMessage, TurnResult
    metrics = Metrics(["greet"], multiprocess_dir=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if sys.argv[1] == "turn":
        parse = {"text": "你好", "intent": {"name": "greet", "confidence": 0.9},
                 "intent_ranking": [{"name": "greet", "confidence": 0.9}, {"name": "thank", "confidence": 0.1}],
                 "entities": []}
        metrics.observe_turn(InboundMessage(sender="s", text="你好", channel=sys.argv[2]), TurnResult(1, "t", []),
                             0.03, parse)
        metrics.observe_request("POST", "/api/v1/messages", 200, 0.04)
    else:
        sys.stdout.write(metrics.render([])[0].decode())
""")


def test_several_workers_figures_are_added_up_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)}

    def worker(*args: str) -> str:
        done = subprocess.run([sys.executable, "-c", WORKER, *args], env=env, capture_output=True, text=True,
                              timeout=60, cwd=PROJECT_ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker("turn", "web")
    worker("turn", "web")
    worker("turn", "telegram")
    s = samples_of(worker("scrape"))  # a fourth process, as the worker that answers a scrape would be
    assert value(s, "linli_turns_total", channel="web", intent="greet") == 2
    assert value(s, "linli_turns_total", channel="telegram", intent="greet") == 1
    assert value(s, "linli_turn_duration_seconds_count", channel="web") == 2
    assert value(s, "linli_http_request_duration_seconds_count",
                 method="POST", route="/api/v1/messages", status="200") == 3


def test_a_multiprocess_directory_named_too_late_is_refused(tmp_path: Path) -> None:
    # This test process imported prometheus_client without the variable, so its values live in memory:
    # pretending otherwise would scrape empty files forever.
    with pytest.raises(ConfigurationError, match="PROMETHEUS_MULTIPROC_DIR"):
        Metrics(["greet"], multiprocess_dir=str(tmp_path))
