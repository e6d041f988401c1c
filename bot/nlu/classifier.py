"""The intent classifier: a linear model over sparse features, with temperature-calibrated confidences.

Training uses scikit-learn (LinearSVC by default); the fitted weights are kept as plain numpy arrays,
so that parsing is one sparse dot product and a softmax, without scikit-learn in memory. The softmax
temperature is fitted on cross-validated decision scores (minimum log-loss), so a confidence of 0.9 is
right about nine times in ten on data the model has not seen, which makes the fallback threshold mean
something. The same cross-validated scores then fit a per-message correction (`confidence.py`), so a
sentence unlike the training data gets a lower confidence than a familiar one with the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from bot.nlu.confidence import ConfidenceModel, NeighbourIndex, confidence_features, fit_confidence

Model = Literal["svc", "logreg"]


@dataclass
class IntentClassifier:
    """Weights of a fitted linear intent model (features × intents) and its calibration."""

    intents: list[str]
    weights: np.ndarray  # (n_features, n_intents), float32
    intercept: np.ndarray  # (n_intents,)
    temperature: float
    dense_weights: np.ndarray | None = None  # (embedding_dim, n_intents) when an embedding is used
    confidence: ConfidenceModel | None = None  # per-message calibration; None in older models

    def scores(self, idx: np.ndarray, val: np.ndarray, dense: np.ndarray | None = None) -> np.ndarray:
        """Raw decision scores for one sentence."""
        s = self.intercept.astype(np.float64).copy()
        if len(idx):
            s += val @ self.weights[idx]
        if dense is not None and self.dense_weights is not None:
            s += dense @ self.dense_weights
        return s

    def probabilities(self, idx: np.ndarray, val: np.ndarray, dense: np.ndarray | None = None) -> np.ndarray:
        """Calibrated confidences over `intents`, summing to 1."""
        scores = self.scores(idx, val, dense)
        if self.confidence is not None:
            return self.confidence.calibrate(scores, self.temperature, idx, val)
        return softmax(scores * self.temperature)


def softmax(z: np.ndarray) -> np.ndarray:
    """A numerically safe softmax over the last axis."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _estimator(model: Model, seed: int, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if model == "logreg":
        return LogisticRegression(C=c, max_iter=3000, random_state=seed)
    return LinearSVC(C=c, random_state=seed, max_iter=20000)


def _decision(est: Any, x: Any, n_classes: int) -> np.ndarray:
    d = est.decision_function(x)
    return np.column_stack([-d, d]) if n_classes == 2 and d.ndim == 1 else d


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises log-loss of `scores` against labels `y`."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(scores * np.exp(log_t))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    res = minimize_scalar(nll, bounds=(-3.0, 5.0), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(res.x))


def calibration_folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that tolerate intents with fewer examples than folds (even a single one).

    Each intent's examples are shuffled and dealt round the folds from a random first fold, so the
    singletons of different intents land in different folds. Scikit-learn's StratifiedKFold would warn
    and, before this, training skipped calibration outright when any intent had fewer than two examples.
    """
    rng = np.random.default_rng(seed)
    k = int(min(folds, len(y)))
    fold_of = np.zeros(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        fold_of[members] = (int(rng.integers(k)) + np.arange(len(members))) % k
    out = []
    for f in range(k):
        te = np.flatnonzero(fold_of == f)
        tr = np.flatnonzero(fold_of != f)
        if len(te) and len(np.unique(y[tr])) >= 2:
            out.append((tr, te))
    return out


def _fold_scores(est: Any, x: Any, n_classes: int) -> np.ndarray:
    """Decision scores over all intents from a model that saw only some: an unseen intent scores lowest."""
    seen = np.asarray(est.classes_)
    d = _decision(est, x, len(seen))
    full = np.empty((d.shape[0], n_classes))
    full[:] = d.min(axis=1, keepdims=True) - 1.0
    full[:, seen] = d
    return full


@dataclass
class OutOfFold:
    """Decision scores of every training sentence from a model trained without it (cross-validation).

    They serve twice: to choose between feature settings (`accuracy`), and to calibrate the chosen
    model's confidences on mistakes it makes on unseen text. `usable` leaves out sentences whose intent
    had no example in the rest of their fold's training set: no model could have got those right.
    """

    scores: np.ndarray  # (n_examples, n_intents)
    usable: np.ndarray  # (n_examples,) bool
    splits: list[tuple[np.ndarray, np.ndarray]]

    def accuracy(self, y: np.ndarray) -> float:
        """Share of usable sentences whose best-scoring intent is their own."""
        if not self.usable.any():
            return 0.0
        return float(np.mean(self.scores[self.usable].argmax(axis=1) == y[self.usable]))


def intent_labels(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The sorted intent names and each example's index among them."""
    intents = sorted(set(labels))
    position = {name: i for i, name in enumerate(intents)}
    return intents, np.array([position[lab] for lab in labels], dtype=np.int64)


def out_of_fold(
    x: Any, labels: Sequence[str], *, seed: int = 42, model: Model = "svc", c: float = 1.0, folds: int = 5
) -> OutOfFold:
    """Cross-validated decision scores for feature matrix `x` (folds as `calibration_folds` deals them)."""
    intents, y = intent_labels(labels)
    splits = calibration_folds(y, folds, seed) if len(y) >= 4 else []
    scores = np.zeros((len(y), len(intents)))
    usable = np.zeros(len(y), dtype=bool)
    for tr, te in splits:
        est = _estimator(model, seed, c).fit(x[tr], y[tr])
        scores[te] = _fold_scores(est, x[te], len(intents))
        usable[te[np.isin(y[te], est.classes_)]] = True
    return OutOfFold(scores, usable, splits)


def fit_classifier(
    x: Any,
    labels: Sequence[str],
    *,
    seed: int = 42,
    model: Model = "svc",
    c: float = 1.0,
    dense_dim: int = 0,
    folds: int = 5,
    oof: OutOfFold | None = None,
) -> IntentClassifier:
    """Fit the linear model on feature matrix `x` (its last `dense_dim` columns dense) and calibrate it.

    Calibration learns from cross-validated scores (`oof`, computed here unless the caller already has
    them for the same `x`, labels, seed, model and C). An example whose intent has no other example
    cannot be predicted by a model trained without it, so it is left out of the calibration set (it
    says nothing about how often a confident answer is right); its intent is still learned and scored.
    """
    intents, y = intent_labels(labels)
    n_classes = len(intents)
    if n_classes < 2:
        raise ValueError("intent classification needs at least two intents")
    if oof is None:
        oof = out_of_fold(x, labels, seed=seed, model=model, c=c, folds=folds)
    temperature, confidence = 1.0, None
    if oof.usable.sum() >= 2:
        temperature = fit_temperature(oof.scores[oof.usable], y[oof.usable])
        # Neighbours are measured on the sparse features only, as `IntentClassifier.scores` receives them.
        xs = x[:, : x.shape[1] - dense_dim].tocsr()
        n_known = np.diff(xs.indptr)
        feats, order = [], []
        for tr, te in oof.splits:
            te = te[oof.usable[te]]
            if not len(te):
                continue
            # Similarity to the sentences this fold's model was trained on, as parsing will measure it.
            sims = (xs[te] @ xs[tr].T).toarray()
            feats.append(confidence_features(oof.scores[te], temperature, sims, y[tr], n_known[te]))
            order.append(te)
        rows = np.concatenate(order)
        correct = oof.scores[rows].argmax(axis=1) == y[rows]
        confidence = fit_confidence(np.vstack(feats), correct, NeighbourIndex.from_matrix(xs, y), seed=seed)
    est = _estimator(model, seed, c).fit(x, y)
    coef = np.asarray(est.coef_, dtype=np.float64)
    intercept = np.asarray(est.intercept_, dtype=np.float64)
    if n_classes == 2 and coef.shape[0] == 1:
        coef = np.vstack([-coef, coef])
        intercept = np.array([-intercept[0], intercept[0]])
    n_sparse = coef.shape[1] - dense_dim
    weights = np.ascontiguousarray(coef[:, :n_sparse].T, dtype=np.float32)
    dense = np.ascontiguousarray(coef[:, n_sparse:].T, dtype=np.float32) if dense_dim else None
    return IntentClassifier(intents, weights, intercept, temperature, dense, confidence)
