"""Honest confidences: the chance that the best intent is right, learned from the model's own mistakes.

A softmax with one temperature is calibrated on average, but says 0.99 as readily for a sentence unlike
anything in training (比特币现在多少钱 → ask_service_info) as for a familiar one. This model estimates,
per message, the probability that the best intent is correct from what the classifier's scores alone
do not show: how close the message is to a training sentence of that intent and to one of another
intent, how many known features it has, and which intent won (some are easier than others). It is a
logistic regression fitted on cross-validated predictions, so it learns the mistakes made on unseen text.
The message's intent distribution is then sharpened or flattened (a per-message temperature, so the
order of intents never changes) until its best confidence equals that probability.

Measured with 5-fold cross-validation on nlu_data (`linli evaluate nlu --cv 5`): expected calibration
error 0.033 → 0.016 on the data as written and 0.045 → 0.026 with speech-to-text slips, and fewer
wrong answers above the fallback threshold (7.8 % → 7.2 %, 10.1 % → 9.8 %), at the same accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Bisection steps for the per-message temperature: 2⁻³⁰ of the range is far below any visible change.
_STEPS = 30
_MAX_TEMPERATURE = 60.0


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class NeighbourIndex:
    """The L2-normalised training vectors as an inverted index, for cosine similarity without scipy."""

    ptr: np.ndarray  # (n_features + 1,) start of each feature's postings
    docs: np.ndarray  # (n_postings,) training sentence of each posting
    values: np.ndarray  # (n_postings,) its feature value
    labels: np.ndarray  # (n_docs,) intent index of each training sentence

    @classmethod
    def from_matrix(cls, x: object, labels: np.ndarray) -> NeighbourIndex:
        """Build from a CSR training matrix (documents × features)."""
        csc = x.tocsc()  # type: ignore[attr-defined]
        csc.sort_indices()
        return cls(
            np.asarray(csc.indptr, dtype=np.int64),
            np.asarray(csc.indices, dtype=np.int32),
            np.asarray(csc.data, dtype=np.float32),
            np.asarray(labels, dtype=np.int32),
        )

    def similarities(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        """Cosine similarity of one sentence's vector to every training sentence."""
        n = len(self.labels)
        known = idx < len(self.ptr) - 1
        idx, val = idx[known], val[known]
        if not len(idx):
            return np.zeros(n)
        starts, ends = self.ptr[idx], self.ptr[idx + 1]
        lengths = ends - starts
        pos = np.repeat(ends - lengths.cumsum(), lengths) + np.arange(lengths.sum())
        weights = self.values[pos] * np.repeat(val, lengths)
        return np.bincount(self.docs[pos], weights=weights, minlength=n)


def confidence_features(
    scores: np.ndarray, temperature: float, sims: np.ndarray, sim_labels: np.ndarray, n_known: np.ndarray
) -> np.ndarray:
    """Per-message features (rows) of how trustworthy the best intent is; `scores` is (messages × intents)."""
    scores = np.atleast_2d(scores)
    sims = np.atleast_2d(sims)
    n_intents = scores.shape[1]
    top = scores.argmax(axis=1)
    ordered = np.sort(scores, axis=1)
    p1 = _softmax(scores * temperature).max(axis=1)
    same = sim_labels[None, :] == top[:, None]
    near_same = np.where(same, sims, 0.0).max(axis=1)
    near_other = np.where(~same, sims, 0.0).max(axis=1)
    return np.column_stack(
        [
            np.log(p1 / np.clip(1 - p1, 1e-9, None) + 1e-9),
            ordered[:, -1],
            ordered[:, -1] - ordered[:, -2],
            sims.max(axis=1),
            near_same,
            near_same - near_other,
            np.asarray(n_known, dtype=np.float64) / 50.0,
            np.eye(n_intents)[top],
        ]
    )


@dataclass
class ConfidenceModel:
    """Logistic weights over `confidence_features`, and the neighbours they are measured against."""

    coef: np.ndarray
    intercept: float
    neighbours: NeighbourIndex

    def correct_probability(self, scores: np.ndarray, temperature: float, idx: np.ndarray, val: np.ndarray) -> float:
        """The estimated chance that the best-scoring intent of one message is right."""
        sims = self.neighbours.similarities(idx, val)
        f = confidence_features(scores, temperature, sims, self.neighbours.labels, np.array([len(idx)]))[0]
        z = float(f @ self.coef + self.intercept)
        return 1.0 / (1.0 + np.exp(-z))

    def calibrate(self, scores: np.ndarray, temperature: float, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        """Intent confidences in the order of `scores`, whose best one equals the probability of being right."""
        target = self.correct_probability(scores, temperature, idx, val)
        target = min(max(target, 1.0 / len(scores) + 1e-3), 1.0 - 1e-9)
        lo, hi = 0.0, _MAX_TEMPERATURE
        for _ in range(_STEPS):
            mid = (lo + hi) / 2
            if _softmax(scores * mid).max() < target:
                lo = mid
            else:
                hi = mid
        return _softmax(scores * max(hi, 1e-6))


def fit_confidence(
    features: np.ndarray, correct: np.ndarray, neighbours: NeighbourIndex, *, seed: int = 42
) -> ConfidenceModel:
    """Fit the correctness model on `confidence_features` of out-of-fold predictions."""
    from sklearn.linear_model import LogisticRegression

    if correct.all() or not correct.any():
        coef = np.zeros(features.shape[1])
        coef[0] = 1.0  # nothing to learn from: keep the temperature-calibrated confidence
        return ConfidenceModel(coef, 0.0, neighbours)
    lr = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(features, correct)
    return ConfidenceModel(np.asarray(lr.coef_[0], dtype=np.float64), float(lr.intercept_[0]), neighbours)
