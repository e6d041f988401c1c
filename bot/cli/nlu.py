"""NLU commands: `linli train`, `linli parse`, `linli nlu lookups`, `linli evaluate nlu`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.base import cli, evaluate, pass_settings
from bot.config import Settings

log = logging.getLogger("linli.nlu")


@cli.group("nlu")
def nlu_group() -> None:
    """NLU data tools."""


def train_command_impl(
    settings: Settings, nlu_data: Path | None = None, out: Path | None = None, embedding: bool | None = None
) -> Any:
    """Train the embedded NLU from `nlu_data` into `out` (defaults from settings) and say how long it took."""
    from bot.nlu.training import TrainOptions, train_nlu, warn_few_examples

    data = Path(nlu_data or settings.nlu_data)
    target = Path(out or settings.nlu_model_dir)
    use_embedding = settings.nlu_embedding if embedding is None else embedding
    options = TrainOptions(embedding=use_embedding, encoder=settings.encoder if use_embedding else "")
    report = train_nlu(data, target, catalog_dir=settings.catalog_dir, options=options)
    encoder = f", embedding from {settings.encoder or 'an encoder trained on the data'}" if use_embedding else ""
    click.echo(
        f"NLU trained on {report.examples} examples, {report.intents} intents, {report.features} features"
        f"{encoder} in {report.seconds:.1f} s → {report.out_dir}"
    )
    if report.few_examples:
        click.secho(f"warning: {warn_few_examples(report.few_examples)}", err=True, fg="yellow")
    return report


@cli.command("train")
@click.option("--nlu-data", type=click.Path(exists=True, path_type=Path), help="Rasa NLU data (file or folder)")
@click.option("--out", type=click.Path(path_type=Path), help="model directory (default: settings.nlu_model_dir)")
@click.option(
    "--embedding/--no-embedding",
    default=None,
    help="add the sentence embedding (ENCODER, or one trained on the data) to the features (default: NLU_EMBEDDING)",
)
@pass_settings
def train_command(settings: Settings, nlu_data: Path | None, out: Path | None, embedding: bool | None) -> None:
    """Train the embedded NLU model."""
    train_command_impl(settings, nlu_data, out, embedding)


@cli.command("parse")
@click.argument("text")
@click.option("--model", type=click.Path(path_type=Path), help="model directory (default: settings)")
@click.option("--now", "now_text", help="message time for relative dates, ISO format (default: now)")
@pass_settings
def parse_command(settings: Settings, text: str, model: Path | None, now_text: str | None) -> None:
    """Parse one message and print Rasa's parse JSON."""
    from bot.nlu import build_parser
    from bot.nlu.engine import EmbeddedNlu

    if model is not None:
        parser: Any = EmbeddedNlu.load(
            model, fallback_threshold=settings.nlu_fallback_threshold, max_chars=settings.max_message_chars
        )
    else:
        parser = build_parser(settings)
    now = dt.datetime.fromisoformat(now_text) if now_text else None
    click.echo(json.dumps(parser.parse(text, now=now), ensure_ascii=False, indent=2))


@nlu_group.command("lookups")
@pass_settings
def lookups_command(settings: Settings) -> None:
    """Regenerate nlu_data/lookups/service.yml from the catalog."""
    from bot.nlu.lookups import service_lookup, write_service_lookup

    path = write_service_lookup(settings.catalog_dir, settings.nlu_data)
    click.echo(f"{len(service_lookup(settings.catalog_dir))} service names and aliases → {path}")


@evaluate.command("nlu")
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="annotated Rasa NLU data to measure on",
)
@click.option("--model", type=click.Path(path_type=Path), help="model directory (default: settings)")
@click.option("--json", "as_json", is_flag=True, help="print only one JSON object on stdout")
@click.option(
    "--report", "report_dir", type=click.Path(path_type=Path), help="also write JSON and a confusion PNG here"
)
@click.option("--cv", "folds", type=int, default=0, help="cross-validate on --data with K folds instead")
@click.option("--now", "now_text", help="message time for relative dates, ISO format")
@pass_settings
def evaluate_nlu_command(
    settings: Settings,
    data_path: Path,
    model: Path | None,
    as_json: bool,
    report_dir: Path | None,
    folds: int,
    now_text: str | None,
) -> None:
    """Intent accuracy and F1, entity F1, by style, and confident mistakes."""
    from bot.nlu.evaluate import confusion_png, cross_validate, predict, report
    from bot.nlu.training_data import load_training_data

    threshold = settings.nlu_fallback_threshold
    data = load_training_data(data_path)
    if not data.examples:
        raise click.ClickException(f"no annotated examples in {data_path}")
    now = dt.datetime.fromisoformat(now_text) if now_text else None
    if folds >= 2:
        preds = cross_validate(data, settings.catalog_dir, folds, threshold=threshold)
    else:
        from bot.nlu.engine import EmbeddedNlu

        parser = EmbeddedNlu.load(
            model or settings.nlu_model_dir,
            fallback_threshold=threshold,
            max_chars=settings.max_message_chars,
        )
        preds = predict(parser, data.examples, now=now)
    result = report(preds, threshold)
    result["data"] = str(data_path)
    result["mode"] = f"cross-validation, {folds} folds" if folds >= 2 else f"model {model or settings.nlu_model_dir}"
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "nlu_report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        result["confusion_png"] = str(confusion_png(preds, report_dir / "intent_confusion.png"))
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    _print_human(result)


def _print_human(result: dict[str, Any]) -> None:
    intent, ents = result["intent"], result["entities"]
    click.echo(f"{result['mode']} on {result['data']}: {intent['n']} examples")
    click.echo(
        f"intent accuracy {intent['accuracy']:.2%}  macro-F1 {intent['macro_f1']:.4f}  "
        f"answered-accuracy {intent['answered_accuracy']:.2%}  coverage {intent['coverage']:.2%}  "
        f"fallback rate {intent['fallback_rate']:.2%}  confidently wrong {intent['confidently_wrong_rate']:.2%} "
        f"(threshold {result['threshold']})"
    )
    value = "n/a" if ents["value_accuracy"] is None else f"{ents['value_accuracy']:.2%}"
    click.echo(
        f"entities P {ents['precision']:.4f}  R {ents['recall']:.4f}  F1 {ents['f1']:.4f}  "
        f"value accuracy {value} ({ents['value_support']})"
    )
    for style, s in result.get("by_style", {}).items():
        click.echo(
            f"  style {style:<8} n={s['n']:<5} intent acc {s['intent_accuracy']:.2%}  "
            f"coverage {s['coverage']:.2%}  entity F1 {s['entity_f1']:.4f}  "
            f"confidently wrong {s['confidently_wrong_rate']:.2%}"
        )
    click.echo("per intent (P / R / F1 / n):")
    for name, m in intent["per_intent"].items():
        click.echo(f"  {name:<20} {m['precision']:.3f} {m['recall']:.3f} {m['f1']:.3f} {m['support']}")
    click.echo("per entity (P / R / F1 / n):")
    for name, m in ents["per_entity"].items():
        click.echo(f"  {name:<20} {m['precision']:.3f} {m['recall']:.3f} {m['f1']:.3f} {m['support']}")
    if intent["most_confused"]:
        click.echo("most confused (true → predicted):")
        for c in intent["most_confused"]:
            click.echo(f"  {c['true']} → {c['predicted']}: {c['count']}")
    if "confusion_png" in result:
        click.echo(f"confusion matrix: {result['confusion_png']}")
    for warning in result.get("warnings", []):
        click.secho(f"warning: {warning}", err=True, fg="yellow")
