"""Retrieval commands: `linli index` builds the index, `linli evaluate retrieval` measures it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click
import yaml

from bot.cli.base import cli, evaluate, pass_settings
from bot.config import Settings
from bot.errors import DataValidationError, LinliError

log = logging.getLogger("linli.index")


@cli.command("index")
@click.option("--seed", default=42, show_default=True, help="encoder training seed (same data + seed → same index)")
@pass_settings
def index_command(settings: Settings, seed: int) -> None:
    """Build the retrieval index into MODEL_DIR/index and publish it."""
    from knowledge.index_build import build_index

    try:
        report = build_index(settings, seed=seed)
    except LinliError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"index {report.version}: {report.services} services, {report.passages} passages, "
        f"{report.pairs} training pairs, {report.dim}-d {report.dense_kind} dense index, "
        f"encoder {report.encoder}, built in {report.seconds:.1f} s → {report.path}"
    )


def read_questions(path: Path) -> list[dict[str, Any]]:
    """A YAML list of `{q, ids}` (ids a list or one id); raises DataValidationError naming bad items."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(raw, dict) and isinstance(raw.get("questions"), list):
        raw = raw["questions"]
    if not isinstance(raw, list):
        raise DataValidationError(f"{path}: expected a list of {{q, ids}}")
    problems = [f"{path}: item {i}: needs `q` and `ids`" for i, item in enumerate(raw)
                if not isinstance(item, dict) or "q" not in item or not item.get("ids", item.get("id"))]
    if problems:
        raise DataValidationError(f"{path}: invalid questions", problems)
    return raw


@evaluate.command("retrieval")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, path_type=Path),
              help="YAML list of {q, ids} questions")
@click.option("--mode", type=click.Choice(["fused", "dense", "sparse"]), default="fused", show_default=True,
              help="score with both sides fused, or one side alone")
@click.option("--json", "as_json", is_flag=True, help="print only the JSON result on stdout")
@pass_settings
def evaluate_retrieval_command(settings: Settings, data_path: Path, mode: str, as_json: bool) -> None:
    """Top-1, top-3 and MRR of the built index on held-out questions."""
    from knowledge.index_build import load_retriever
    from knowledge.retriever import evaluate as evaluate_retriever

    try:
        items = read_questions(data_path)
        retriever = load_retriever(settings)
    except LinliError as exc:
        raise click.ClickException(str(exc)) from exc
    result = evaluate_retriever(retriever, items, mode=mode)  # type: ignore[arg-type]
    log.info("retrieval %s on %s: top1 %.3f top3 %.3f mrr %.3f (n=%d)", mode, data_path,
             result["top1"], result["top3"], result["mrr"], result["n"])
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{mode}: top-1 {result['top1']:.3f}  top-3 {result['top3']:.3f}  MRR {result['mrr']:.3f}  "
               f"(n={result['n']})")
    for miss in result["misses"]:
        click.echo(f"  miss: {miss['q']}  expected {'/'.join(miss['ids'])}  got {', '.join(miss['got'])}")
