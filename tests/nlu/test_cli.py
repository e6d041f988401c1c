"""The NLU commands: train, parse, nlu lookups, evaluate nlu (`--json` prints one JSON object)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import bot.cli.nlu  # noqa: F401 - registers the commands on the groups
from bot.cli.base import cli
from bot.nlu.training import TrainReport


@pytest.fixture
def env(tmp_path: Path, nlu_data_dir: Path, catalog_dir: Path) -> dict[str, str]:
    return {
        "MODEL_DIR": str(tmp_path / "models"),
        "NLU_DATA": str(nlu_data_dir),
        "CATALOG_DIR": str(catalog_dir),
        "LOG_LEVEL": "WARNING",
    }


def test_evaluate_json_is_one_object(trained: TrainReport, nlu_data_dir: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli,
        ["evaluate", "nlu", "--data", str(nlu_data_dir / "nlu"), "--model", str(trained.out_dir), "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"intent", "entities"}
    assert 0.0 <= report["intent"]["accuracy"] <= 1.0
    assert "macro_f1" in report["intent"] and "f1" in report["entities"]
    assert report["by_style"]["stt"]["n"] > 0


def test_evaluate_report_writes_png(
    trained: TrainReport, nlu_data_dir: Path, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "nlu",
            "--data",
            str(nlu_data_dir / "nlu"),
            "--model",
            str(trained.out_dir),
            "--report",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert (out / "intent_confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "intent accuracy" in result.output


def test_evaluate_cross_validation(nlu_data_dir: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["evaluate", "nlu", "--data", str(nlu_data_dir), "--cv", "2", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mode"].startswith("cross-validation")


def test_train_then_parse(env: dict[str, str]) -> None:
    runner = CliRunner()
    trained = runner.invoke(cli, ["train"], env=env)
    assert trained.exit_code == 0, trained.output
    assert " s " in trained.output or " s →" in trained.output
    parsed = runner.invoke(cli, ["parse", "我想预约明天的助浴", "--now", "2024-05-15T10:00"], env=env)
    assert parsed.exit_code == 0, parsed.output
    result = json.loads(parsed.stdout)
    assert result["intent"]["name"] == "book_service"
    assert "助浴" in parsed.stdout  # ensure_ascii=False
    assert {"entity": "date", "value": "2024-05-16"}.items() <= result["entities"][0].items()


def test_lookups_regenerates_service_table(tmp_path: Path, env: dict[str, str]) -> None:
    env = {**env, "NLU_DATA": str(tmp_path / "nlu_data")}
    result = CliRunner().invoke(cli, ["nlu", "lookups"], env=env)
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((tmp_path / "nlu_data" / "lookups" / "service.yml").read_text(encoding="utf-8"))
    items = [line[2:] for line in written["nlu"][0]["examples"].splitlines()]
    assert written["nlu"][0]["lookup"] == "service"
    assert "高龄津贴申领" in items and "上门洗澡" in items and len(items) == len(set(items))


def test_train_with_embedding_from_own_encoder(tmp_path: Path, env: dict[str, str]) -> None:
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", "--embedding"], env=env)
    assert trained.exit_code == 0, trained.output
    assert "embedding" in trained.output
    model_dir = tmp_path / "models" / "nlu"
    assert (model_dir / "encoder" / "model.safetensors").is_file()
    parsed = runner.invoke(cli, ["parse", "我想预约明天的助浴", "--now", "2024-05-15T10:00"], env=env)
    assert json.loads(parsed.stdout)["intent"]["name"] == "book_service"


def test_train_with_a_named_pretrained_encoder(tmp_path: Path, env: dict[str, str]) -> None:
    """ENCODER names a sentence-transformers model on local disk; the NLU model only refers to it."""
    from bot.nlu.encoder import train_encoder

    pretrained = tmp_path / "pretrained-encoder"
    train_encoder([("上门洗澡", "助浴"), ("老人吃饭", "助餐"), ("报修路灯", "报修")], pretrained, seed=1)
    env = {**env, "ENCODER": str(pretrained), "NLU_EMBEDDING": "true"}
    runner = CliRunner()
    trained = runner.invoke(cli, ["train"], env=env)
    assert trained.exit_code == 0, trained.output
    assert str(pretrained) in trained.output
    model_dir = tmp_path / "models" / "nlu"
    assert not (model_dir / "encoder").exists()
    assert json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))["encoder"] == str(pretrained)
    parsed = runner.invoke(cli, ["parse", "我想预约明天的助浴"], env=env)
    assert parsed.exit_code == 0, parsed.output
    assert json.loads(parsed.stdout)["intent"]["name"] == "book_service"


def _evaluate(trained: TrainReport, nlu_data_dir: Path, env: dict[str, str], *extra: str) -> Any:
    args = ["evaluate", "nlu", "--data", str(nlu_data_dir / "nlu"), "--model", str(trained.out_dir), *extra]
    return CliRunner().invoke(cli, args, env=env)


def test_evaluate_prints_coverage_and_fallback_rate_beside_accuracy(
    trained: TrainReport, nlu_data_dir: Path, env: dict[str, str]
) -> None:
    result = _evaluate(trained, nlu_data_dir, env)
    assert result.exit_code == 0, result.output
    headline = next(line for line in result.output.splitlines() if line.startswith("intent accuracy"))
    assert "answered-accuracy" in headline and "coverage" in headline and "fallback rate" in headline
    assert "warning" not in result.output
    report = json.loads(_evaluate(trained, nlu_data_dir, env, "--json").stdout)
    intent = report["intent"]
    assert intent["coverage"] == pytest.approx(1 - intent["fallback_rate"])
    assert 0.0 <= intent["answered_accuracy"] <= 1.0


def test_evaluate_warns_when_coverage_collapses(trained: TrainReport, nlu_data_dir: Path, env: dict[str, str]) -> None:
    # A threshold no confidence reaches: the model is as accurate as before, but answers nothing.
    env = {**env, "NLU_FALLBACK_THRESHOLD": "0.999999"}
    result = _evaluate(trained, nlu_data_dir, env)
    assert result.exit_code == 0, result.output
    assert "warning: coverage" in result.output and "fall back" in result.output
    report = json.loads(_evaluate(trained, nlu_data_dir, env, "--json").stdout)
    assert report["intent"]["coverage"] < 0.8
    assert report["warnings"] and "coverage" in report["warnings"][0]
