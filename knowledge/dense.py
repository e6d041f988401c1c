"""Dense retrieval: a FAISS inner-product index over L2-normalised embeddings (so scores are cosines).

The index type follows the size (measured by `bench/retrieval_bench.py`, single-thread queries):
up to `EXACT_LIMIT` vectors exact search (`IndexFlatIP`, about a millisecond at 20k); up to `HNSW_LIMIT`
an HNSW graph (100k: built in ~20 s, p99 under 1 ms, recall@10 1.0); above that an inverted file
(`IndexIVFFlat`), because an HNSW graph over a million vectors takes several minutes to build on two
cores while the inverted file takes about one (1M: p99 ~4 ms at recall@10 ~0.96).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

IndexKind = Literal["flat", "hnsw", "ivf"]
EXACT_LIMIT = 20_000
HNSW_LIMIT = 300_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
# Inverted file: about 4·sqrt(n) lists (a power of two), k-means on 40 points per list, 1/32 of the
# lists (at least 16) probed per query.
IVF_TRAIN_PER_LIST = 40
IVF_PROBE_SHARE = 32


@dataclass(frozen=True)
class DenseParams:
    """How the index was built; saved next to it."""

    kind: IndexKind
    dim: int
    size: int
    ef_search: int = HNSW_EF_SEARCH
    nlist: int = 0
    nprobe: int = 0


def choose_kind(size: int, exact_limit: int = EXACT_LIMIT) -> IndexKind:
    """Exact search while it is cheap, then an HNSW graph, then an inverted file for the largest."""
    if size <= exact_limit:
        return "flat"
    return "hnsw" if size <= max(HNSW_LIMIT, exact_limit) else "ivf"


def ivf_lists(size: int) -> int:
    """The number of inverted lists for `size` vectors: the power of two nearest 4·sqrt(size)."""
    return int(2 ** round(np.log2(max(4.0 * np.sqrt(size), 16.0))))


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Float32, C-contiguous, unit length rows (zero rows stay zero)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v / np.where(norms > 0, norms, 1.0), dtype=np.float32)


class DenseIndex:
    """A FAISS index plus the parameters that built it."""

    def __init__(self, index: Any, params: DenseParams) -> None:
        self.index = index
        self.params = params
        if params.kind == "hnsw":
            index.hnsw.efSearch = params.ef_search
        elif params.kind == "ivf":
            index.nprobe = params.nprobe

    @property
    def kind(self) -> IndexKind:
        """`flat` or `hnsw`."""
        return self.params.kind

    @property
    def size(self) -> int:
        """How many vectors the index holds."""
        return int(self.index.ntotal)

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        *,
        kind: IndexKind | None = None,
        exact_limit: int = EXACT_LIMIT,
        deterministic: bool = True,
    ) -> DenseIndex:
        """Index normalised `vectors`; the kind is chosen by size unless given.

        HNSW insertion on several threads depends on thread timing; `deterministic` builds on one
        thread so that the same vectors always give the same graph (and the same index file).
        """
        import faiss

        v = normalise(vectors)
        n, dim = v.shape
        chosen = kind or choose_kind(n, exact_limit)
        params = DenseParams(kind=chosen, dim=dim, size=n)
        index: Any
        if chosen == "flat":
            index = faiss.IndexFlatIP(dim)
        elif chosen == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            nlist = ivf_lists(n)
            params = DenseParams(kind=chosen, dim=dim, size=n, nlist=nlist, nprobe=max(16, nlist // IVF_PROBE_SHARE))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.niter = 10
        threads = faiss.omp_get_max_threads()
        if deterministic:
            faiss.omp_set_num_threads(1)
        try:
            if chosen == "ivf":
                sample = np.random.default_rng(0).choice(n, min(n, IVF_TRAIN_PER_LIST * params.nlist), replace=False)
                index.train(v[np.sort(sample)])
            index.add(v)
        finally:
            faiss.omp_set_num_threads(threads)
        return cls(index, params)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k cosine scores and row ids for each query row; missing neighbours have id -1."""
        q = normalise(np.atleast_2d(queries))
        k = max(1, min(k, self.size))
        scores, ids = self.index.search(q, k)
        return scores, ids

    def memory_bytes(self) -> int:
        """Bytes the index occupies once serialised (vectors and graph), a close proxy for RAM."""
        import faiss

        return int(faiss.serialize_index(self.index).nbytes)

    def save(self, directory: Path) -> None:
        """Write `dense.faiss` and `dense.json`."""
        import faiss

        faiss.write_index(self.index, str(directory / "dense.faiss"))
        (directory / "dense.json").write_text(json.dumps(self.params.__dict__, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        """Read an index written by `save`."""
        import faiss

        params = DenseParams(**json.loads((directory / "dense.json").read_text(encoding="utf-8")))
        index = faiss.read_index(str(directory / "dense.faiss"))
        if index.ntotal != params.size or index.d != params.dim:
            raise ValueError(f"dense index holds {index.ntotal}x{index.d}, expected {params.size}x{params.dim}")
        return cls(index, params)


def recall_at_k(found: np.ndarray, exact: np.ndarray, exact_scores: np.ndarray, found_scores: np.ndarray) -> float:
    """Share of the exact top-k found, counting a tie with the k-th exact score as found."""
    k = exact.shape[1]
    hits = 0
    for f, e, es, fs in zip(found, exact, exact_scores, found_scores, strict=True):
        kth = es[-1] - 1e-6
        hits += min(k, len(set(f[f >= 0]) & set(e)) + int(np.sum((fs >= kth) & ~np.isin(f, e) & (f >= 0))))
    return hits / (k * len(exact))


__all__ = ["EXACT_LIMIT", "DenseIndex", "DenseParams", "choose_kind", "normalise", "recall_at_k"]
