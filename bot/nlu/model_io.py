"""The files of a trained NLU model, and reading them back.

A model directory holds JSON and one `.npz` of numpy arrays: no pickles, so loading a model never runs
code from it, and loading needs neither scikit-learn nor pypinyin. Files are written in a fixed order
with sorted keys, so the same data and seed give byte-identical files.

    meta.json         format version, intents, feature settings, fallback settings, data summary
    vocabulary.json   feature names, in column order
    arrays.npz        idf weights, classifier weights and intercepts, confidence model and neighbours
    lexicon.json      service surface forms → ids, repair lexicon, places, known Latin words, span filter
    pinyin.json       character → fuzzy readings
    encoder/          the sentence encoder, when the embedding feature uses one trained from the data
                      (a pretrained encoder is only named in meta.json and loaded from its own place)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ModelNotFoundError
from bot.nlu.asr_repair import AsrLexicon
from bot.nlu.classifier import IntentClassifier
from bot.nlu.confidence import ConfidenceModel, NeighbourIndex
from bot.nlu.entities.span_filter import SpanFilter
from bot.nlu.features import FeatureConfig, Vectorizer
from bot.nlu.gazetteer import Gazetteer

FORMAT_VERSION = 1


@dataclass
class NluModel:
    """Everything parsing needs, in memory."""

    meta: dict[str, Any]
    vectorizer: Vectorizer
    classifier: IntentClassifier
    lexicon: AsrLexicon
    table: dict[str, tuple[str, ...]]
    service_patterns: dict[str, str]
    places: list[str] = field(default_factory=list)
    latin_words: frozenset[str] = frozenset()
    span_filter: SpanFilter = field(default_factory=lambda: SpanFilter({}, []))
    encoder: Any = None  # bot.nlu.embedding.StaticEncoder or PretrainedEncoder when meta["embedding"] is set
    gazetteer: Gazetteer | None = None  # the name lists it was trained with, when its features use them


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(
        json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=None, separators=(",", ":")),
        encoding="utf-8",
    )


def save_model(model: NluModel, out_dir: Path) -> None:
    """Write the model files under `out_dir` (created if needed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        **model.meta,
        "format_version": FORMAT_VERSION,
        "intents": model.classifier.intents,
        "temperature": model.classifier.temperature,
        "features": model.vectorizer.cfg.to_json(),
    }
    _write_json(out_dir / "meta.json", meta)
    _write_json(out_dir / "vocabulary.json", model.vectorizer.vocabulary)
    arrays = {
        "idf_weights": model.vectorizer.weights,
        "weights": model.classifier.weights,
        "intercept": model.classifier.intercept,
    }
    if model.classifier.dense_weights is not None:
        arrays["dense_weights"] = model.classifier.dense_weights
    conf = model.classifier.confidence
    if conf is not None:
        arrays["confidence_coef"] = conf.coef
        arrays["confidence_intercept"] = np.array([conf.intercept])
        arrays["neighbour_ptr"] = conf.neighbours.ptr
        arrays["neighbour_docs"] = conf.neighbours.docs
        arrays["neighbour_values"] = conf.neighbours.values
        arrays["neighbour_labels"] = conf.neighbours.labels
    # np.savez writes zip entries with a fixed timestamp, so equal arrays give equal bytes.
    with open(out_dir / "arrays.npz", "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwargs as its own flags
    _write_json(
        out_dir / "lexicon.json",
        {
            "services": model.service_patterns,
            "repair": model.lexicon.to_json(),
            "places": sorted(model.places),
            "latin_words": sorted(model.latin_words),
            "span_filter": model.span_filter.to_json(),
        },
    )
    _write_json(out_dir / "pinyin.json", {c: "|".join(r) for c, r in model.table.items()})
    if model.gazetteer is not None:
        _write_json(out_dir / "gazetteer.json", model.gazetteer.to_json())


def _confidence(arrays: dict[str, np.ndarray]) -> ConfidenceModel | None:
    """The per-message calibration, if the model has one (models trained before it do not)."""
    if "confidence_coef" not in arrays:
        return None
    neighbours = NeighbourIndex(
        arrays["neighbour_ptr"], arrays["neighbour_docs"], arrays["neighbour_values"], arrays["neighbour_labels"]
    )
    return ConfidenceModel(arrays["confidence_coef"], float(arrays["confidence_intercept"][0]), neighbours)


def load_model(model_dir: Path) -> NluModel:
    """Read a model directory; raise ModelNotFoundError if it is missing or from another format."""
    model_dir = Path(model_dir)
    meta_path = model_dir / "meta.json"
    if not meta_path.is_file():
        raise ModelNotFoundError(f"no NLU model in {model_dir}: run `linli train` first")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelNotFoundError(f"NLU model in {model_dir} has an old format: run `linli train` again")
    vocab = json.loads((model_dir / "vocabulary.json").read_text(encoding="utf-8"))
    with np.load(model_dir / "arrays.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    cfg = FeatureConfig.from_json(meta["features"])
    vectorizer = Vectorizer(vocab, np.ones(len(vocab)), cfg)
    vectorizer.weights = arrays["idf_weights"]
    classifier = IntentClassifier(
        list(meta["intents"]),
        arrays["weights"],
        arrays["intercept"],
        float(meta["temperature"]),
        arrays.get("dense_weights"),
        _confidence(arrays),
    )
    lex = json.loads((model_dir / "lexicon.json").read_text(encoding="utf-8"))
    table = {
        c: tuple(r.split("|")) for c, r in json.loads((model_dir / "pinyin.json").read_text(encoding="utf-8")).items()
    }
    encoder = None
    if meta.get("embedding"):
        from bot.nlu.embedding import PretrainedEncoder, StaticEncoder

        name = meta.get("encoder")
        encoder = PretrainedEncoder(name) if name else StaticEncoder.load(model_dir / "encoder")
    return NluModel(
        meta=meta,
        vectorizer=vectorizer,
        classifier=classifier,
        lexicon=AsrLexicon.from_json(lex["repair"]),
        table=table,
        service_patterns=dict(lex["services"]),
        places=list(lex.get("places", [])),
        latin_words=frozenset(lex.get("latin_words", [])),
        span_filter=SpanFilter.from_json(lex.get("span_filter", {})),
        encoder=encoder,
        gazetteer=_gazetteer(model_dir, cfg),
    )


def _gazetteer(model_dir: Path, cfg: FeatureConfig) -> Gazetteer | None:
    path = model_dir / "gazetteer.json"
    if not cfg.gazetteer or not path.is_file():
        return None
    return Gazetteer.from_json(json.loads(path.read_text(encoding="utf-8")))
