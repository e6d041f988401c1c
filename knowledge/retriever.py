"""Find the catalog services a question is about: dense and sparse scores fused, best passage per service.

A service's dense score is the best cosine of any of its passages, its sparse score the best normalised
BM25; the fused score is their weighted sum, in [0, 1]. The answer is *confident* only when the top
service clears the threshold and leads the runner-up by a margin: otherwise the caller offers the top
two or three services as choices, since a wrong confident answer costs a resident more than a question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from knowledge.dense import DenseIndex
from knowledge.passages import Passage
from knowledge.sparse import NameIndex, SparseIndex

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Mode = Literal["fused", "dense", "sparse"]
MODES: tuple[Mode, ...] = ("fused", "dense", "sparse")


@dataclass(frozen=True)
class FusionParams:
    """How dense and sparse scores are combined and when the top answer counts as confident."""

    dense_weight: float = 0.45
    # Mentions of a service's name or alias; the rest of the weight goes to BM25.
    name_weight: float = 0.25
    threshold: float = 0.35
    margin: float = 0.05
    # Passages taken from an approximate (HNSW) dense index; exact indexes score every passage.
    candidates: int = 200


@dataclass(frozen=True)
class Hit:
    """One service found for a query, with its best passage."""

    service_id: str
    score: float
    facet: str
    text: str
    dense: float = 0.0
    sparse: float = 0.0


@dataclass(frozen=True)
class RetrievalResult:
    """Services ranked for a query; `confident` says whether the top one may be answered directly."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    confident: bool = False

    @property
    def top(self) -> Hit | None:
        """The best hit, if any."""
        return self.hits[0] if self.hits else None


def default_query_normalizer() -> Callable[[str], str]:
    """The NLU normaliser (fillers, widths, traditional characters, spoken numbers) when present."""
    try:
        from bot.nlu.normalize import normalize_text
    except ImportError:  # retrieval works without it, only less well on dictated questions
        return lambda text: text.strip()
    return normalize_text


class Retriever:
    """Search over one built index: passages, encoder, dense and sparse indexes."""

    def __init__(
        self,
        passages: Sequence[Passage],
        encoder: SentenceTransformer,
        dense: DenseIndex,
        sparse: SparseIndex,
        params: FusionParams | None = None,
        normalizer: Callable[[str], str] | None = None,
        names: NameIndex | None = None,
    ) -> None:
        if not (len(passages) == dense.size == sparse.size):
            raise ValueError(f"index sizes differ: {len(passages)} passages, {dense.size} dense, {sparse.size} sparse")
        self.passages = list(passages)
        self.encoder = encoder
        self.dense = dense
        self.sparse = sparse
        self.params = params or FusionParams()
        self.normalizer = normalizer or default_query_normalizer()
        self.names = names
        self.service_ids = list(dict.fromkeys(p.service_id for p in self.passages))
        position = {sid: i for i, sid in enumerate(self.service_ids)}
        self._owner = np.array([position[p.service_id] for p in self.passages], dtype=np.int64)

    def with_params(self, params: FusionParams) -> Retriever:
        """The same index searched with other fusion parameters (for calibration)."""
        return Retriever(self.passages, self.encoder, self.dense, self.sparse, params, self.normalizer, self.names)

    def _dense_scores(self, text: str) -> np.ndarray:
        """Cosine of the query with every passage (passages an HNSW search did not reach score 0)."""
        out = np.zeros(len(self.passages), dtype=np.float32)
        vec = self.encoder.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        if not np.any(vec):
            return out  # nothing the encoder knows: no dense evidence at all
        k = self.dense.size if self.dense.kind == "flat" else self.params.candidates
        scores, ids = self.dense.search(vec, k)
        ok = ids[0] >= 0
        out[ids[0][ok]] = scores[0][ok]
        return np.clip(out, 0.0, 1.0)

    def passage_scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Dense and sparse scores of every passage for a normalised query."""
        return self._dense_scores(query), self.sparse.scores(query)

    def search(self, query: str, k: int = 5, mode: Mode = "fused") -> RetrievalResult:
        """The `k` best services for `query`, best passage each, and whether the top one is confident."""
        text = self.normalizer(query)
        if not text.strip():
            return RetrievalResult(query=query)
        dense, sparse = self.passage_scores(text)
        wd, ws, wn = self._weights(mode)
        n_services = len(self.service_ids)
        svc_dense = np.zeros(n_services, dtype=np.float32)
        svc_sparse = np.zeros(n_services, dtype=np.float32)
        np.maximum.at(svc_dense, self._owner, dense)
        np.maximum.at(svc_sparse, self._owner, sparse)
        svc_names = self.names.scores(text, n_services) if self.names is not None and wn else 0.0
        svc_score = wd * svc_dense + ws * svc_sparse + wn * svc_names
        passage_score = wd * dense + ws * sparse
        order = np.lexsort((np.arange(n_services), -svc_score))[: max(k, 2)]
        hits = []
        for s in order:
            if svc_score[s] <= 0:
                break
            rows = np.flatnonzero(self._owner == s)
            best = rows[int(np.argmax(passage_score[rows]))]
            p = self.passages[best]
            hits.append(Hit(self.service_ids[s], round(float(svc_score[s]), 4), p.facet, p.text,
                            round(float(svc_dense[s]), 4), round(float(svc_sparse[s]), 4)))
        return RetrievalResult(query=query, hits=hits[:k], confident=self._confident(hits))

    def _weights(self, mode: Mode) -> tuple[float, float, float]:
        """Dense, BM25 and name weights for a mode; `sparse` is the lexical side (BM25 and names) alone."""
        wd = self.params.dense_weight
        wn = self.params.name_weight if self.names is not None else 0.0
        ws = max(0.0, 1.0 - wd - wn)
        if mode == "dense":
            return 1.0, 0.0, 0.0
        if mode == "sparse":
            return 0.0, ws / (ws + wn or 1.0), wn / (ws + wn or 1.0)
        return wd, ws, wn

    def _confident(self, hits: Sequence[Hit]) -> bool:
        """Top score over the threshold and clearly ahead of the runner-up."""
        if not hits:
            return False
        second = hits[1].score if len(hits) > 1 else 0.0
        return hits[0].score >= self.params.threshold and hits[0].score - second >= self.params.margin


def _expected(item: Mapping[str, Any]) -> list[str]:
    ids = item.get("ids", item.get("id", []))
    return [ids] if isinstance(ids, str) else [str(i) for i in ids]


def evaluate(retriever: Retriever, items: Iterable[Mapping[str, Any]], mode: Mode = "fused") -> dict[str, Any]:
    """Top-1, top-3 and MRR (over the first 10 services) on `{q, ids}` items; misses are top-1 errors."""
    n = top1 = top3 = 0
    rr = 0.0
    misses: list[dict[str, Any]] = []
    for item in items:
        q, ids = str(item["q"]), _expected(item)
        got = [h.service_id for h in retriever.search(q, k=10, mode=mode).hits]
        rank = next((i + 1 for i, sid in enumerate(got) if sid in ids), None)
        n += 1
        top1 += rank == 1
        top3 += rank is not None and rank <= 3
        rr += 1.0 / rank if rank else 0.0
        if rank != 1:
            misses.append({"q": q, "ids": ids, "got": got[:3]})
    d = max(n, 1)
    return {"top1": round(top1 / d, 4), "top3": round(top3 / d, 4), "mrr": round(rr / d, 4), "n": n, "misses": misses}


__all__ = ["MODES", "FusionParams", "Hit", "Mode", "RetrievalResult", "Retriever", "evaluate"]
