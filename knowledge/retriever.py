"""Find the catalog services a question is about: dense and sparse scores fused, best passage per service.

A service's dense score is the best cosine of any of its passages, its BM25 score the best normalised
BM25, its name score whether the question names it (`knowledge.sparse.NameIndex`); the fused score is
their weighted sum, in [0, 1], and ranks the services.

Whether the top service may be answered directly is a separate question: "多少钱" or "补贴" match many
services about equally well and name none. `certainty` is the same weighted sum with each of the dense
and BM25 scores measured above what the query scores anyway (its 10th-best service for dense, its
3rd-best for BM25), so it stays low for questions that fit everything. The answer is *confident* when
the certainty reaches the threshold and leads every other service by a margin; otherwise the caller
offers the top two or three services as choices, since a wrong confident answer costs a resident more
than a question.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bot.text import CJK
from knowledge.dense import DenseIndex
from knowledge.passages import Passage
from knowledge.sparse import NameIndex, SparseIndex

if TYPE_CHECKING:
    from bot.nlu.static_encoder import TextEncoder

log = logging.getLogger(__name__)

Mode = Literal["fused", "dense", "sparse"]
_CJK_RE = re.compile(f"[{CJK}]")
MODES: tuple[Mode, ...] = ("fused", "dense", "sparse")


@dataclass(frozen=True)
class FusionParams:
    """How dense and sparse scores are combined and when the top answer counts as confident."""

    # Tuned on bench/data/retrieval_dev.yml and held-out NLU examples (`bench/retrieval_bench.py --quality`);
    # accuracy is flat for dense weights 0.35-0.55, so these are not fine-tuned.
    dense_weight: float = 0.45
    # Mentions of a service's name or alias; the rest of the weight goes to BM25.
    name_weight: float = 0.2
    # The lowest certainty at which no out-of-scope development message was confident (deployments set
    # it through Settings.retrieval_threshold, which load_retriever passes in).
    threshold: float = 0.42
    margin: float = 0.05
    # The rank whose score is what any query gets anyway, for dense and BM25 certainty.
    dense_baseline_rank: int = 10
    sparse_baseline_rank: int = 3
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
    # How clearly the top service stands out from the rest, in [0, 1] (see the module docstring),
    # and by how much its certainty exceeds every other service's.
    certainty: float = 0.0
    lead: float = 0.0

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
        encoder: TextEncoder,
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
        # Passages come grouped by service (build_passages keeps catalog order): service i owns the rows
        # starts[i]:starts[i + 1], so per-service maxima are one reduceat.
        starts = [i for i, p in enumerate(self.passages) if i == 0 or p.service_id != self.passages[i - 1].service_id]
        if len(starts) != len(self.service_ids):
            raise ValueError("passages of one service must be contiguous")
        self._starts = np.asarray(starts, dtype=np.int64)
        self._ends = np.append(self._starts[1:], len(self.passages))
        # Two-character words the catalog uses: such a span in a query is a word, not a slip of a name.
        self._known_pairs = frozenset(t for t in sparse.vocab if len(t) == 2 and not t.isascii())

    def _dense_scores(self, text: str) -> np.ndarray:
        """Cosine of the query with every passage (passages an HNSW search did not reach score 0)."""
        out = np.zeros(len(self.passages), dtype=np.float32)
        if not _CJK_RE.search(text):
            return out  # digits or Latin alone: the encoder knows Chinese questions; leave these to BM25
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
        svc_dense = np.maximum.reduceat(dense, self._starts)
        svc_sparse = np.maximum.reduceat(sparse, self._starts)
        svc_names = self.names.scores(text, n_services, self._known_pairs) if self.names is not None and wn else 0.0
        svc_score = wd * svc_dense + ws * svc_sparse + wn * svc_names
        passage_score = wd * dense + ws * sparse
        order = np.lexsort((np.arange(n_services), -svc_score))[: max(k, 2)]
        lift = (wd * _above(svc_dense, self.params.dense_baseline_rank)
                + ws * _above(svc_sparse, self.params.sparse_baseline_rank) + wn * svc_names)
        certainty = float(lift[order[0]])
        lead = certainty - float(np.max(np.delete(lift, order[0]), initial=0.0))
        confident = svc_score[order[0]] > 0 and certainty >= self.params.threshold and lead >= self.params.margin
        hits = []
        for s in order:
            if svc_score[s] <= 0:
                break
            best = int(self._starts[s] + np.argmax(passage_score[self._starts[s] : self._ends[s]]))
            p = self.passages[best]
            hits.append(Hit(self.service_ids[s], round(float(svc_score[s]), 4), p.facet, p.text,
                            round(float(svc_dense[s]), 4), round(float(svc_sparse[s]), 4)))
        return RetrievalResult(query, hits[:k], bool(confident), round(certainty, 4), round(lead, 4))

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



def _above(scores: np.ndarray, rank: int) -> np.ndarray:
    """Scores measured above the `rank`-th best one, rescaled to [0, 1]."""
    if scores.size == 0:
        return scores
    base = float(np.sort(scores)[::-1][min(rank, scores.size) - 1])
    return np.clip((scores - base) / max(1.0 - base, 1e-6), 0.0, 1.0)


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
