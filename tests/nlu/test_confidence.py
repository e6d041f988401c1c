"""Per-message confidence: neighbour similarity is exact, order is kept, and confidence tracks accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from bot.nlu.classifier import fit_classifier
from bot.nlu.confidence import NeighbourIndex
from bot.nlu.engine import EmbeddedNlu


def _synthetic(n: int, seed: int) -> tuple[csr_matrix, list[str]]:
    """Three intents with ten own features each; each sentence mixes own features with noise in a random share."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(n):
        label = i % 3
        own = int(rng.integers(1, 6))
        feats = list(rng.choice(10, own, replace=False) + 10 * label)
        feats += list(rng.integers(0, 30, 6 - own))
        row = np.zeros(30)
        for f in feats:
            row[f] += 1.0
        rows.append(row / np.linalg.norm(row))
        labels.append(f"intent_{label}")
    return csr_matrix(np.array(rows)), labels


def _predict(clf, x: csr_matrix) -> tuple[list[str], np.ndarray]:
    names, confs = [], []
    for r in range(x.shape[0]):
        row = x.getrow(r)
        p = clf.probabilities(row.indices.astype(np.int64), row.data)
        names.append(clf.intents[int(p.argmax())])
        confs.append(float(p.max()))
    return names, np.array(confs)


def test_similarities_match_the_dense_product() -> None:
    x, labels = _synthetic(40, seed=1)
    index = NeighbourIndex.from_matrix(x, np.arange(40) % 3)
    query = x.getrow(5)
    got = index.similarities(query.indices.astype(np.int64), query.data)
    assert np.allclose(got, (x @ query.T).toarray().ravel())
    # Features the index never saw are ignored rather than read out of bounds.
    assert np.allclose(index.similarities(np.array([3, 99]), np.array([0.6, 0.8])), x[:, 3].toarray().ravel() * 0.6)


def test_confidence_is_monotone_with_accuracy() -> None:
    x, y = _synthetic(600, seed=2)
    clf = fit_classifier(x, y, seed=3)
    assert clf.confidence is not None
    xt, yt = _synthetic(600, seed=4)
    names, conf = _predict(clf, xt)
    right = np.array([a == b for a, b in zip(names, yt, strict=True)])
    order = np.argsort(conf)
    thirds = [right[part].mean() for part in np.array_split(order, 3)]
    assert thirds[0] < thirds[1] < thirds[2]
    # Honest on average: the mean confidence of each third is near its accuracy.
    for part, acc in zip(np.array_split(order, 3), thirds, strict=True):
        assert conf[part].mean() == pytest.approx(acc, abs=0.12)


def test_calibration_keeps_the_order_of_intents() -> None:
    x, y = _synthetic(300, seed=5)
    clf = fit_classifier(x, y, seed=3)
    row = x.getrow(7)
    idx, val = row.indices.astype(np.int64), row.data
    scores = clf.scores(idx, val)
    probs = clf.probabilities(idx, val)
    assert list(np.argsort(-probs)) == list(np.argsort(-scores))
    assert probs.sum() == pytest.approx(1.0)
    assert probs.max() == pytest.approx(clf.confidence.correct_probability(scores, clf.temperature, idx, val), abs=1e-3)


def test_saved_models_keep_their_confidence_model(nlu: EmbeddedNlu) -> None:
    conf = nlu.model.classifier.confidence
    assert conf is not None
    assert len(conf.neighbours.labels) == nlu.model.meta["examples"]
