"""Learn from the annotations which rule matches are entities, and where they begin and end.

Rules and the catalog propose candidates generously (every alias, every place word, every building
pattern, overlapping); whether 身份证 is a service mention or a document to bring, and whether the
annotators write 3号楼 or 3号楼楼道, depends on the words around it. A logistic regression over the
candidate's text, kind and neighbouring characters, fitted on the training annotations, decides.
Kinds with too few annotations to learn from keep every candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.nlu.entities.base import Found

MIN_POSITIVES = 5


def _value_bucket(value: object) -> str:
    if isinstance(value, int):
        return "1" if value == 1 else "small" if value < 10 else "big"
    return "text" if value == "" else "norm"


Neighbours = tuple[int, bool]  # (same-kind candidates overlapping it, a same-kind candidate before it)


def span_features(f: Found, text: str, neighbours: Neighbours, gaps: frozenset[int] = frozenset()) -> list[str]:
    """Feature names of one candidate in normalised text (`gaps`: where punctuation was removed)."""
    overlaps, later = neighbours
    t = f.entity
    s = text[f.start : f.end]
    prev1 = text[f.start - 1 : f.start] or "^"
    prev2 = text[max(0, f.start - 2) : f.start] or "^"
    next1 = text[f.end : f.end + 1] or "$"
    next2 = text[f.end : f.end + 2] or "$"
    return [
        f"{t}",
        f"{t}|s={s}",
        f"{t}|x={f.extractor}",
        f"{t}|len={min(f.length, 8)}",
        f"{t}|p1={prev1}",
        f"{t}|p2={prev2}",
        f"{t}|n1={next1}",
        f"{t}|n2={next2}",
        f"{t}|first={s[:1]}",
        f"{t}|last={s[-1:]}",
        f"{t}|ov={min(overlaps, 3)}",
        f"{t}|later={later}",
        f"{t}|v={_value_bucket(f.value)}",
        f"{t}|gl={f.start in gaps or f.start == 0}",
        f"{t}|gr={f.end in gaps or f.end == len(text)}",
    ]


def neighbours(found: Sequence[Found]) -> list[Neighbours]:
    """For each candidate: how many of the same kind overlap it, and whether one of its kind comes
    before it (a second service in 办残疾证要带身份证吗 is a document to bring, not a service)."""
    out = []
    for f in found:
        same = [g for g in found if g is not f and g.entity == f.entity]
        overlaps = sum(1 for g in same if g.start < f.end and f.start < g.end)
        out.append((overlaps, any(g.end <= f.start for g in same)))
    return out


class SpanFilter:
    """Keeps the candidates a fitted linear model scores at or above 0.5, and every candidate of kinds
    it was not trained on."""

    def __init__(self, weights: Mapping[str, float], trained_kinds: Iterable[str]) -> None:
        self.weights = dict(weights)
        self.trained_kinds = frozenset(trained_kinds)

    def keep(self, found: Sequence[Found], text: str, gaps: frozenset[int] = frozenset()) -> list[Found]:
        """The candidates that are entities."""
        context = neighbours(found)
        out = []
        for f, ov in zip(found, context, strict=True):
            if f.entity not in self.trained_kinds:
                out.append(f)
                continue
            z = sum(self.weights.get(name, 0.0) for name in span_features(f, text, ov, gaps))
            if z >= 0.0:
                out.append(f)
        return out

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form, stored with the model."""
        return {
            "weights": {k: round(v, 6) for k, v in sorted(self.weights.items())},
            "trained_kinds": sorted(self.trained_kinds),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> SpanFilter:
        """Read the stored form back."""
        weights = raw.get("weights", {})
        kinds = raw.get("trained_kinds", [])
        assert isinstance(weights, dict) and isinstance(kinds, list)
        return cls({str(k): float(v) for k, v in weights.items()}, [str(k) for k in kinds])


def fit_span_filter(samples: Sequence[tuple[list[str], bool, str]], *, seed: int = 42, c: float = 1.0) -> SpanFilter:
    """Fit on (features, is an annotated entity, kind) for every candidate of the training sentences."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    positives: dict[str, int] = {}
    negatives: dict[str, int] = {}
    for _, label, kind in samples:
        target = positives if label else negatives
        target[kind] = target.get(kind, 0) + 1
    kinds = sorted(k for k in positives if positives[k] >= MIN_POSITIVES and negatives.get(k, 0) > 0)
    rows = [(feats, label) for feats, label, kind in samples if kind in kinds]
    if not rows or len({label for _, label in rows}) < 2:
        return SpanFilter({}, [])
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform([{name: 1.0 for name in feats} for feats, _ in rows])
    y = [int(label) for _, label in rows]
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(x, y)
    names = vec.get_feature_names_out()
    weights = {str(n): float(w) for n, w in zip(names, model.coef_[0], strict=True) if abs(w) > 1e-9}
    # The intercept is shared; fold it into each kind's bias feature so kinds stay independent of it.
    for k in kinds:
        weights[k] = weights.get(k, 0.0) + float(model.intercept_[0])
    return SpanFilter(weights, kinds)
