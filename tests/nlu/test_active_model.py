"""Putting a retrained model into use, going back, and every process following the choice."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InvalidInput, ModelNotFoundError
from bot.nlu import active_model
from bot.nlu.active_model import ReloadingNlu

AT = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


class Named:
    """A parser that answers with the name of the model directory it was loaded from."""

    def __init__(self, path: Path) -> None:
        if (path / "broken").exists():
            raise ModelNotFoundError(f"{path} is broken")
        self.name = path.name

    def parse(self, text: str, now: dt.datetime | None = None) -> Any:
        return {"text": text, "model": self.name}


def _candidate(model_dir: Path, name: str, *, broken: bool = False, report: bool = True) -> None:
    path = model_dir / "candidates" / name
    path.mkdir(parents=True)
    if broken:
        (path / "broken").touch()
    if report:
        active_model.write_report(path, {"before": 0.9, "after": 0.93, "measured_on": "留出集", "examples": 100})


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    (tmp_path / "nlu").mkdir()
    return tmp_path


def test_the_default_model_serves_until_staff_choose_another(model_dir: Path) -> None:
    assert active_model.active_path(model_dir) == model_dir / "nlu"
    _candidate(model_dir, "nlu-1")
    chosen = active_model.activate(model_dir, "nlu-1", by="boss", at=AT, check=Named)
    assert chosen.path == model_dir / "candidates" / "nlu-1" and chosen.previous == model_dir / "nlu"
    assert active_model.active_path(model_dir) == chosen.path
    raw = json.loads((model_dir / "nlu_active.json").read_text(encoding="utf-8"))
    assert raw == {"path": "candidates/nlu-1", "previous": "nlu", "by": "boss", "at": "2026-12-07T09:30:00+00:00"}


def test_going_back_swaps_the_two_models(model_dir: Path) -> None:
    _candidate(model_dir, "nlu-1")
    active_model.activate(model_dir, "nlu-1", by="boss", at=AT, check=Named)
    back = active_model.roll_back(model_dir, by="boss", at=AT)
    assert back.path == model_dir / "nlu" and back.previous == model_dir / "candidates" / "nlu-1"
    forward = active_model.roll_back(model_dir, by="boss", at=AT)  # and forward again
    assert forward.path == model_dir / "candidates" / "nlu-1"


@pytest.mark.parametrize(("name", "why"), [
    ("nlu-9", "没有名为"),  # no such candidate
    ("../nlu", "没有名为"),  # not a path out of the candidates
    ("nlu-unfinished", "没有名为"),  # a retraining still under way has no report
    ("nlu-broken", "无法加载"),  # a model that does not load is never chosen
])
def test_only_a_finished_loadable_candidate_is_put_into_use(model_dir: Path, name: str, why: str) -> None:
    _candidate(model_dir, "nlu-unfinished", report=False)
    _candidate(model_dir, "nlu-broken", broken=True)
    with pytest.raises(InvalidInput, match=why):
        active_model.activate(model_dir, name, by="boss", at=AT, check=Named)
    assert active_model.read_active(model_dir) is None


def test_nothing_to_go_back_to_is_said(model_dir: Path) -> None:
    with pytest.raises(InvalidInput, match="没有可以退回"):
        active_model.roll_back(model_dir, by="boss", at=AT)


def test_candidates_are_listed_newest_first_with_their_reports(model_dir: Path) -> None:
    for name in ("nlu-20261201-a", "nlu-20261205-b"):
        _candidate(model_dir, name)
    _candidate(model_dir, "nlu-20261206-c", report=False)
    found = active_model.candidates(model_dir)
    assert [c.name for c in found] == ["nlu-20261205-b", "nlu-20261201-a"]
    assert found[0].report["after"] == 0.93


def test_every_process_follows_the_choice_and_keeps_serving_through_a_bad_one(model_dir: Path) -> None:
    # Two processes: each has its own parser reading the same MODEL_DIR.
    first, second = ReloadingNlu(model_dir, Named), ReloadingNlu(model_dir, Named)
    assert first.parse("你好")["model"] == "nlu"
    _candidate(model_dir, "nlu-1")
    active_model.activate(model_dir, "nlu-1", by="boss", at=AT, check=Named)
    assert first.reload() and second.reload()
    assert first.parse("你好")["model"] == second.parse("你好")["model"] == "nlu-1"
    # The chosen model is damaged afterwards on disk: the old one keeps answering.
    active_model.roll_back(model_dir, by="boss", at=AT)
    (model_dir / "nlu" / "broken").touch()
    assert not second.reload()
    assert second.parse("你好")["model"] == "nlu-1"


def test_a_parse_looks_for_a_change_in_the_background(model_dir: Path) -> None:
    release = threading.Event()

    def slow(path: Path) -> Named:
        if path.name != "nlu":
            assert release.wait(10)  # the new model takes a while to load
        return Named(path)

    parser = ReloadingNlu(model_dir, slow, check_seconds=0.0)
    _candidate(model_dir, "nlu-1")
    active_model.activate(model_dir, "nlu-1", by="boss", at=AT, check=Named)
    assert parser.parse("你好")["model"] == "nlu"  # answered at once by the model in memory
    release.set()
    parser.wait()
    assert parser.parse("你好")["model"] == "nlu-1"
