"""Retrieval benchmarks.

Index part (default): synthetic catalogs of 10k, 100k and 1M passages as random unit vectors of the
encoder's dimension, drawn around topic centres (passages about one service resemble each other, as real
embeddings do; `--data uniform` draws them uniformly on the sphere, where no index can beat brute force).
For the index type `knowledge.dense` chooses by size it prints build time, index memory, single-thread
query latency p50/p99 and recall@10 against exact search.

    .venv/bin/python bench/retrieval_bench.py [--sizes 10000,100000,1000000] [--data clustered|uniform]

Quality part (`--quality`): the real catalog, with 30 % of the NLU examples that name a service held out
from encoder training; prints top-1/top-3/MRR for dense alone, sparse alone and fused on those held-out
examples plus bench/data/retrieval_dev.yml, and how many answers are confident (and wrongly so) at each
threshold, with out-of-scope and conversational messages that must not be.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.encoder import DEFAULT_DIM  # noqa: E402
from knowledge.dense import DenseIndex, normalise, recall_at_k  # noqa: E402
from knowledge.index_build import ENCODER_EPOCHS  # noqa: E402
from knowledge.retriever import RetrievalResult  # noqa: E402

QUERIES = 1000
DEV_FILE = ROOT / "bench" / "data" / "retrieval_dev.yml"


def synthetic(n: int, dim: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """`n` unit vectors: around n/100 topic centres (each point ~0.5 cosine to its centre), or uniform."""
    out = np.empty((n, dim), dtype=np.float32)
    centres = normalise(rng.standard_normal((max(n // 100, 1), dim), dtype=np.float32))
    for start in range(0, n, 100_000):  # in chunks, to keep the peak memory near the result's size
        m = min(100_000, n - start)
        noise = rng.standard_normal((m, dim), dtype=np.float32)
        if kind == "clustered":
            noise = centres[rng.integers(0, len(centres), m)] + noise / np.sqrt(dim)
        out[start : start + m] = normalise(noise)
    return out


def bench_size(n: int, dim: int, kind: str) -> None:
    """Build the automatically chosen index over `n` vectors and measure it."""
    import faiss

    rng = np.random.default_rng(n)
    vectors = synthetic(n, dim, kind, rng)
    queries = synthetic(QUERIES, dim, kind, np.random.default_rng(n + 1)) if kind == "uniform" else \
        normalise(vectors[rng.integers(0, n, QUERIES)] + rng.standard_normal((QUERIES, dim), dtype=np.float32)
                  / np.sqrt(dim))
    started = time.perf_counter()
    index = DenseIndex.build(vectors, deterministic=False)
    build_s = time.perf_counter() - started
    exact = faiss.IndexFlatIP(dim)
    exact.add(vectors)
    exact_scores, exact_ids = exact.search(queries, 10)
    del exact
    gc.collect()
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    latencies, found, found_scores = [], [], []
    try:
        for q in queries:
            t = time.perf_counter()
            s, i = index.search(q[None, :], 10)
            latencies.append(time.perf_counter() - t)
            found.append(i[0])
            found_scores.append(s[0])
    finally:
        faiss.omp_set_num_threads(threads)
    lat = np.asarray(latencies) * 1000
    recall = recall_at_k(np.asarray(found), exact_ids, exact_scores, np.asarray(found_scores))
    print(f"{n:>9,} {kind:9} {index.kind:5} build {build_s:7.1f} s  memory {index.memory_bytes() / 2**20:7.0f} MiB  "
          f"p50 {np.percentile(lat, 50):6.2f} ms  p99 {np.percentile(lat, 99):6.2f} ms  recall@10 {recall:.3f}",
          flush=True)


def _held_out(text: str) -> bool:
    """A stable 30 % of texts, chosen by hash so that every run holds out the same ones."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 < 3


def quality(epochs: int) -> None:
    """Dense vs sparse vs fused on held-out questions, and the confidence trade-off."""
    import tempfile

    import yaml

    from bot.config import Settings
    from bot.nlu.training_data import load_training_data
    from knowledge.index_build import make_retriever
    from knowledge.loader import load_catalog
    from knowledge.passages import catalog_pairs, name_text, nlu_pairs
    from knowledge.retriever import MODES, default_query_normalizer, evaluate

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    catalog = load_catalog(settings.catalog_dir)
    nlu_dir = Path(settings.nlu_data) / "nlu"
    by_name = {name_text(s): s.id for s in catalog.services}
    examples = nlu_pairs(nlu_dir, catalog, default_query_normalizer())
    dev_nlu = [{"q": a, "ids": [by_name[p]]} for a, p in examples if _held_out(a)]
    pairs = catalog_pairs(catalog) + [(a, p) for a, p in examples if not _held_out(a)]
    raw = yaml.safe_load(DEV_FILE.read_text(encoding="utf-8"))
    dev = [{"q": q["q"], "ids": [i for i in q["ids"] if catalog.get(i)]}
           for q in raw["questions"] if any(catalog.get(i) for i in q["ids"])]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        retriever = make_retriever(catalog, pairs, Path(tmp) / "encoder", epochs=epochs)
        print(f"{len(catalog.services)} services, {len(retriever.passages)} passages, {len(pairs)} pairs; "
              f"built in {time.perf_counter() - started:.1f} s")
    items = dev + dev_nlu
    print(f"held-out questions: {len(dev)} from {DEV_FILE.name}, {len(dev_nlu)} NLU examples")
    for mode in MODES:
        r = evaluate(retriever, items, mode)
        print(f"  {mode:6}  top-1 {r['top1']:.3f}  top-3 {r['top3']:.3f}  MRR {r['mrr']:.3f}")
    data = load_training_data(nlu_dir)
    noise = [e.text for e in data.examples if e.intent == "out_of_scope"] + [str(q) for q in raw["noise"]]
    chat = [e.text for e in data.examples if e.intent in ("greet", "goodbye", "thank", "affirm", "deny")]
    results = [(retriever.search(q["q"], k=2), q["ids"]) for q in items]
    noise_results = [retriever.search(q, k=2) for q in noise]
    chat_results = [retriever.search(q, k=2) for q in chat]
    print(f"confident answers by threshold (margin {retriever.params.margin}); must stay 0 for "
          f"{len(noise)} out-of-scope and few for {len(chat)} conversational messages:")
    margin = retriever.params.margin
    for threshold in np.arange(0.26, 0.52, 0.02):
        conf = [(r, ids) for r, ids in results if _confident(r, threshold, margin)]
        wrong = sum(r.top is not None and r.top.service_id not in ids for r, ids in conf)
        print(f"  {threshold:.2f}: confident {len(conf) / len(items):.3f}  wrong {wrong}  "
              f"out-of-scope {sum(_confident(r, threshold, margin) for r in noise_results)}  "
              f"conversational {sum(_confident(r, threshold, margin) for r in chat_results)}")


def _confident(result: RetrievalResult, threshold: float, margin: float) -> bool:
    """Whether a result would be confident at `threshold` (recomputed from its certainty and lead)."""
    return result.top is not None and result.certainty >= threshold and result.lead >= margin


def main() -> None:
    """Parse arguments and run the chosen benchmark."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated passage counts")
    ap.add_argument("--data", choices=["clustered", "uniform"], default="clustered")
    ap.add_argument("--dim", type=int, default=DEFAULT_DIM, help="vector dimension (the encoder's)")
    ap.add_argument("--quality", action="store_true", help="measure retrieval quality on the real catalog")
    ap.add_argument("--epochs", type=int, default=ENCODER_EPOCHS, help="encoder epochs for --quality")
    args = ap.parse_args()
    if args.quality:
        quality(args.epochs)
        return
    print(f"dimension {args.dim}, {QUERIES} queries, single-thread search, recall@10 against exact search")
    for n in (int(s) for s in args.sizes.split(",")):
        bench_size(n, args.dim, args.data)


if __name__ == "__main__":
    main()
