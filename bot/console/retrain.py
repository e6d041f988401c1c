"""Retraining the NLU with staff corrections, into a fresh directory, with accuracy before and after.

The live model is never replaced: the new one is written next to it (MODEL_DIR/candidates) with its report,
and an administrator puts it into use from the console, or goes back (`bot.nlu.active_model`). Accuracy is
measured on the held-out set the `NLU_HELDOUT` setting names, otherwise on the corrections themselves
(which the new model has seen, so that figure only shows they were learnt).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bot.config import Settings

CORRECTIONS_FILE = "staff_corrections.yml"


def _accuracy(model_dir: Path, settings: Settings, examples: list[Any]) -> float | None:
    """Intent accuracy of a model directory on examples (None when the model cannot be loaded)."""
    from bot.errors import LinliError
    from bot.nlu.engine import EmbeddedNlu
    from bot.nlu.evaluate import predict

    try:
        parser = EmbeddedNlu.load(model_dir, fallback_threshold=settings.nlu_fallback_threshold,
                                  max_chars=settings.max_message_chars)
    except (LinliError, OSError, ValueError):
        return None
    preds = predict(parser, examples)
    return sum(p.intent == p.example.intent for p in preds) / len(preds) if preds else None


def retrain(settings: Settings, corrections_yaml: str, out_root: Path,
            heldout: Path | None = None) -> dict[str, Any]:
    """Train on the NLU data plus the corrections into a new folder under `out_root`; report both accuracies
    on `heldout` (default: the `nlu_heldout` setting)."""
    from bot.nlu.training import TrainOptions, train_nlu
    from bot.nlu.training_data import load_training_data

    heldout = heldout or settings.nlu_heldout
    options = TrainOptions(embedding=settings.nlu_embedding, encoder=settings.encoder if settings.nlu_embedding else "")

    out_root.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix=dt.datetime.now().strftime("nlu-%Y%m%d-%H%M%S-"), dir=out_root))
    with tempfile.TemporaryDirectory(prefix="linli-nlu-data-") as scratch:
        data = Path(scratch) / "nlu_data"
        shutil.copytree(settings.nlu_data, data)
        (data / CORRECTIONS_FILE).write_text(corrections_yaml, encoding="utf-8")
        train_nlu(data, out, catalog_dir=settings.catalog_dir, options=options)
        corrections = load_training_data(data / CORRECTIONS_FILE).examples
    if heldout is not None and heldout.exists():
        examples, measured_on = load_training_data(heldout).examples, f"{heldout.name}（留出测试集）"
    else:
        examples, measured_on = corrections, "纠错样本本身（新模型训练时见过，只说明已学会）"
    from bot.nlu.active_model import active_path, write_report

    report = {"model_dir": str(out), "measured_on": measured_on, "examples": len(examples),
              "corrections": len(corrections),
              "before": _accuracy(active_path(settings.model_dir), settings, examples),
              "after": _accuracy(out, settings, examples),
              "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    write_report(out, report)  # last: a candidate with a report is complete and may be put into use
    return report
