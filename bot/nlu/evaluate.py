"""Measure an NLU parser on annotated data: intents, entities, by writing style, and confident mistakes.

Intent figures use the classifier's best intent (before the fallback), so that accuracy and the
fallback rate are reported separately; "confidently wrong" counts wrong intents whose confidence is at or
above the fallback threshold, the mistakes the dialogue would act on. Beside accuracy stand coverage (the
share of messages answered rather than sent to the fallback) and answered-accuracy (accuracy over those
answered), because a model that is right but never confident enough to answer helps nobody: a model
trained on data it was not built for once scored 0.90 accuracy with every message falling back.
Entities match on type and exact span, or overlap with the same value (see `entity_metrics`); value
accuracy is over matched entities whose annotation gives an explicit value.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.nlu.engine import FALLBACK_INTENT
from bot.nlu.training_data import Example, TrainingData
from bot.nlu.types import NluParser, ParseResult

if TYPE_CHECKING:
    from bot.nlu.training import TrainOptions

log = logging.getLogger("linli.nlu")
# Below this coverage the report warns: most messages would get a fallback reply whatever the accuracy.
LOW_COVERAGE = 0.8


@dataclass(frozen=True)
class Prediction:
    """One example with what the parser made of it."""

    example: Example
    intent: str
    confidence: float
    fell_back: bool
    entities: tuple[tuple[str, int, int, str], ...]  # (entity, start, end, value)


def predict(parser: NluParser, examples: Sequence[Example], now: dt.datetime | None = None) -> list[Prediction]:
    """Parse every example."""
    out = []
    for ex in examples:
        result: ParseResult = parser.parse(ex.text, now=now)
        ranked = [r for r in result["intent_ranking"] if r["name"] != FALLBACK_INTENT] or [result["intent"]]
        best = ranked[0]
        ents = tuple(
            (str(e["entity"]), int(e.get("start", -1)), int(e.get("end", -1)), str(e.get("value", "")))
            for e in result["entities"]
        )
        out.append(
            Prediction(
                ex,
                str(best["name"]),
                float(best["confidence"]),
                result["intent"]["name"] == FALLBACK_INTENT,
                ents,
            )
        )
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def intent_metrics(preds: Sequence[Prediction], threshold: float) -> dict[str, Any]:
    """Accuracy, macro-F1, per-intent scores, most confused pairs, fallback and confidently-wrong rates."""
    n = len(preds)
    if not n:
        return {"accuracy": 0.0, "macro_f1": 0.0, "n": 0}
    labels = sorted({p.example.intent for p in preds} | {p.intent for p in preds})
    per: dict[str, dict[str, Any]] = {}
    f1s = []
    for lab in labels:
        tp = sum(p.intent == lab and p.example.intent == lab for p in preds)
        fp = sum(p.intent == lab and p.example.intent != lab for p in preds)
        fn = sum(p.intent != lab and p.example.intent == lab for p in preds)
        support = tp + fn
        per[lab] = {**_prf(tp, fp, fn), "support": support}
        if support:
            f1s.append(per[lab]["f1"])
    wrong = [p for p in preds if p.intent != p.example.intent]
    confused = Counter((p.example.intent, p.intent) for p in wrong).most_common(10)
    answered = [p for p in preds if not p.fell_back]
    answered_right = sum(p.intent == p.example.intent for p in answered)
    return {
        "n": n,
        "accuracy": round(1 - len(wrong) / n, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "answered_accuracy": round(answered_right / len(answered), 4) if answered else 0.0,
        "coverage": round(len(answered) / n, 4),
        "fallback_rate": round(1 - len(answered) / n, 4),
        "confidently_wrong_rate": round(sum(p.confidence >= threshold for p in wrong) / n, 4),
        "per_intent": per,
        "most_confused": [{"true": t, "predicted": pr, "count": c} for (t, pr), c in confused],
    }


def _match(gold: Sequence[Any], pred: Sequence[tuple[str, int, int, str]]) -> list[tuple[Any, Any]]:
    """Pairs of (annotation, prediction): exact spans first, then overlapping spans of the same type
    whose value agrees where the annotation gives one."""
    pairs: list[tuple[Any, Any]] = []
    free_pred = list(pred)
    free_gold = []
    for g in gold:
        hit = next((q for q in free_pred if (q[0], q[1], q[2]) == (g.entity, g.start, g.end)), None)
        if hit is None:
            free_gold.append(g)
        else:
            free_pred.remove(hit)
            pairs.append((g, hit))
    for g in free_gold:
        for q in free_pred:
            same_value = g.value == g.text or str(q[3]) == str(g.value)
            if q[0] == g.entity and q[1] < g.end and g.start < q[2] and same_value:
                free_pred.remove(q)
                pairs.append((g, q))
                break
    return pairs


def entity_metrics(preds: Sequence[Prediction]) -> dict[str, Any]:
    """Micro precision/recall/F1 per type and overall, and value accuracy where the annotation gives one.

    An entity counts as found when its type matches and its span overlaps the annotation's, and where
    the annotation gives a normalised value (age 78, a catalog id) the values agree: annotators differ
    on whether 78岁 or 78, 两份 or 两 is the entity, and the value is what the dialogue acts on.
    `exact` gives the same figures for exact spans only (the stricter reading).
    """
    tp = fp = fn = 0
    exact_tp = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    value_total = value_ok = 0
    for p in preds:
        pairs = _match(p.example.entities, p.entities)
        matched_pred = {id(q) for _, q in pairs}
        for g, q in pairs:
            tp += 1
            per[g.entity][0] += 1
            if (q[1], q[2]) == (g.start, g.end):
                exact_tp += 1
            if g.value != g.text:
                value_total += 1
                value_ok += str(q[3]) == str(g.value)
        for q in p.entities:
            if id(q) not in matched_pred:
                fp += 1
                per[q[0]][1] += 1
        fn += len(p.example.entities) - len(pairs)
        matched_gold = {id(g) for g, _ in pairs}
        for g in p.example.entities:
            if id(g) not in matched_gold:
                per[g.entity][2] += 1
    n_pred = tp + fp
    n_gold = tp + fn
    return {
        **_prf(tp, fp, fn),
        "support": n_gold,
        "exact": {**_prf(exact_tp, n_pred - exact_tp, n_gold - exact_tp)},
        "value_accuracy": round(value_ok / value_total, 4) if value_total else None,
        "value_support": value_total,
        "per_entity": {k: {**_prf(*v), "support": v[0] + v[2]} for k, v in sorted(per.items())},
    }


def report(preds: Sequence[Prediction], threshold: float) -> dict[str, Any]:
    """The full report: overall figures and the same broken down by `metadata.style`."""
    out: dict[str, Any] = {"intent": intent_metrics(preds, threshold), "entities": entity_metrics(preds)}
    styles = sorted({p.example.style for p in preds})
    if len(styles) > 1 or any("style" in p.example.metadata for p in preds):
        out["by_style"] = {}
        for s in styles:
            group = [p for p in preds if p.example.style == s]
            im, em = intent_metrics(group, threshold), entity_metrics(group)
            out["by_style"][s] = {
                "n": len(group),
                "intent_accuracy": im["accuracy"],
                "intent_macro_f1": im["macro_f1"],
                "coverage": im["coverage"],
                "confidently_wrong_rate": im["confidently_wrong_rate"],
                "entity_f1": em["f1"],
            }
    out["threshold"] = threshold
    warning = coverage_warning(out["intent"].get("coverage", 1.0), threshold)
    if warning:
        out["warnings"] = [warning]
    return out


def coverage_warning(coverage: float, threshold: float, minimum: float = LOW_COVERAGE) -> str:
    """A warning when too few messages are answered (empty when coverage is fine)."""
    if coverage >= minimum:
        return ""
    return (
        f"coverage {coverage:.1%} is below {minimum:.0%}: {1 - coverage:.1%} of messages fall back "
        f"(confidence under {threshold} or two intents too close); the accuracy above is not what users get"
    )


def cross_validate(
    data: TrainingData,
    catalog_dir: Path | None,
    k: int,
    *,
    seed: int = 42,
    threshold: float = 0.45,
    options: TrainOptions | None = None,
    work_dir: Path | None = None,
) -> list[Prediction]:
    """Predictions for every example from a model trained on the other folds (stratified by intent)."""
    import tempfile

    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.engine import EmbeddedNlu
    from bot.nlu.training import fit_model

    labels = [ex.intent for ex in data.examples]
    folds = StratifiedKFold(k, shuffle=True, random_state=seed)
    preds: list[Prediction | None] = [None] * len(labels)
    for fold, (tr, te) in enumerate(folds.split(labels, labels)):
        train = TrainingData([data.examples[i] for i in tr], dict(data.synonyms), data.regexes, data.lookups)
        with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
            model = fit_model(train, catalog_dir, seed=seed, options=options, work_dir=Path(tmp))
            nlu = EmbeddedNlu(model, fallback_threshold=threshold)
            for i, p in zip(te, predict(nlu, [data.examples[i] for i in te]), strict=True):
                preds[i] = p
        log.info("cross-validation fold %d/%d done", fold + 1, k)
    return [p for p in preds if p is not None]


def confusion_png(preds: Sequence[Prediction], path: Path) -> Path:
    """Write the intent confusion matrix as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted({p.example.intent for p in preds} | {p.intent for p in preds})
    pos = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for p in preds:
        m[pos[p.example.intent], pos[p.intent]] += 1
    size = max(6.0, 0.45 * len(labels))
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(np.log1p(m), cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    str(m[i, j]),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if i == j else "black",
                )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
