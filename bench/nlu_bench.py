"""Benchmark the embedded NLU against the Rasa 3.6 baseline: train, load, latency, throughput, memory.

Run: .venv/bin/python bench/nlu_bench.py [--data nlu_data] [--texts FILE ...] [--matchers]

Training runs here; loading and parsing run in a fresh child process so that load time and resident
memory are those of a server that only parses (no scikit-learn, no training data in memory).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Rasa 3.6 (DIET, 100 epochs) on the same kind of data: 2,067 examples.
RASA = {
    "train_s": 9 * 60 + 54,
    "load_s": 41.0,
    "rss_mb": 1.24 * 1024,
    "p50_ms": 14.0,
    "p95_ms": 23.0,
    "parses_per_s_4": 70.0,
}
TARGETS = {"train_s": 30.0, "load_s": 3.0, "p50_ms": 3.0, "p99_ms": 15.0, "rss_mb": 300.0}
HELDOUT = [ROOT / "tests" / "data" / "nlu_heldout_a.yml", ROOT / "tests" / "data" / "nlu_heldout_b.yml"]


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def child(model_dir: str, texts_file: str) -> None:
    """Load the model and measure parsing; print one JSON line."""
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    before = rss_mb()
    t0 = time.perf_counter()
    from bot.nlu.engine import EmbeddedNlu

    nlu = EmbeddedNlu.load(Path(model_dir))
    nlu.parse("你好")  # first call fills lazy caches (OpenCC dictionary)
    load_s = time.perf_counter() - t0
    rss = rss_mb() - before
    for t in texts[:50]:
        nlu.parse(t)
    lat = []
    for t in texts:
        s = time.perf_counter()
        nlu.parse(t)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))]

    # Four clients parsing at once, as in the Rasa measurement.
    rounds = max(1, 2000 // len(texts))
    work = texts * rounds
    chunks = [work[i::4] for i in range(4)]
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda c=c: [nlu.parse(x) for x in c]) for c in chunks]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    per_s = len(work) / (time.perf_counter() - start)
    print(
        json.dumps(
            {
                "load_s": load_s,
                "rss_mb": rss,
                "p50_ms": pct(50),
                "p95_ms": pct(95),
                "p99_ms": pct(99),
                "mean_ms": statistics.fmean(lat),
                "parses_per_s_4": per_s,
                "n_texts": len(texts),
                "rss_after_parsing_mb": rss_mb() - before,
            }
        )
    )


def matchers(texts: list[str], patterns: dict[str, str]) -> None:
    """Time the service matcher (Aho–Corasick) against spaCy's SpanRuler on the char segmenter, which it
    replaced, on the same texts and service names."""
    import importlib

    from bot.nlu.entities.service import ServiceMatcher
    from bot.nlu.normalize import normalize_text

    normal = [normalize_text(t) for t in texts]
    t0 = time.perf_counter()
    ours = ServiceMatcher(patterns)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in normal:
        ours.find(t)
    per = (time.perf_counter() - t0) / len(normal) * 1e6
    print(f"service matcher (Aho–Corasick): build {build:.3f} s, {per:.1f} µs per message")
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]  # thinc would import it; unused here
    spacy = importlib.import_module("spacy")
    t0 = time.perf_counter()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": "service"})
    ruler.add_patterns([{"label": "service", "pattern": s, "id": sid} for s, sid in sorted(patterns.items())])
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in normal:
        if t:
            nlp(t)
    theirs = (time.perf_counter() - t0) / len(normal) * 1e6
    print(f"spaCy SpanRuler (char segmenter): build {build:.3f} s, {theirs:.1f} µs per message "
          f"({theirs / per:.0f}x the matcher's time)")


def main() -> None:
    """Train, then measure in a child process, and print figures with ratios to Rasa."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT / "nlu_data")
    ap.add_argument("--catalog", type=Path, default=ROOT / "knowledge" / "catalog")
    ap.add_argument(
        "--texts",
        type=Path,
        nargs="*",
        help="held-out Rasa files to parse (default: tests/data/nlu_heldout_*)",
    )
    ap.add_argument("--matchers", action="store_true",
                    help="also time the service matcher against spaCy's SpanRuler, which it replaced")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    from bot.nlu.training import train_nlu
    from bot.nlu.training_data import load_training_data

    sources = args.texts or [p for p in HELDOUT if p.exists()]
    if sources:
        texts = [ex.text for p in sources for ex in load_training_data(p).examples]
        source = ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in sources)
    else:
        texts = [ex.text for ex in load_training_data(args.data).examples]
        source = f"{args.data} (training texts: no held-out files found)"
    with tempfile.TemporaryDirectory() as tmp:
        report = train_nlu(args.data, Path(tmp) / "nlu", catalog_dir=args.catalog)
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(report.out_dir), str(texts_file)],
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout.strip().splitlines()[-1])
    m["train_s"] = report.seconds
    print(f"data: {report.examples} training examples, {report.intents} intents, {report.features} features")
    print(f"parsed: {m['n_texts']} texts from {source}")
    rows = [
        ("train", "train_s", "s", "lower"),
        ("load", "load_s", "s", "lower"),
        ("memory (RSS delta)", "rss_mb", "MB", "lower"),
        ("latency p50", "p50_ms", "ms", "lower"),
        ("latency p95", "p95_ms", "ms", "lower"),
        ("latency p99", "p99_ms", "ms", "lower"),
        ("parses/s, 4 threads", "parses_per_s_4", "/s", "higher"),
    ]
    print(f"{'':<22}{'linli':>10}{'rasa 3.6':>11}{'ratio':>9}{'target':>9}  ok")
    for label, key, unit, better in rows:
        ours = m[key]
        rasa = RASA.get(key)
        ratio = "" if rasa is None else (f"{rasa / ours:>7.0f}x" if better == "lower" else f"{ours / rasa:>7.1f}x")
        target = TARGETS.get(key)
        ok = "" if target is None else ("yes" if ours <= target else "NO")
        tgt = "" if target is None else f"{target:g}"
        rasa_txt = "" if rasa is None else f"{rasa:>10.0f}"
        print(f"{label:<22}{ours:>9.2f}{unit:<1}{rasa_txt:>11}{ratio:>9}{tgt:>9}  {ok}")
    print(
        f"mean latency {m['mean_ms']:.2f} ms; RSS after all parsing {m['rss_after_parsing_mb']:.0f} MB "
        "(ratios: how many times better than Rasa)"
    )
    if args.matchers:
        from bot.nlu.domain_terms import collect_terms
        from bot.nlu.training_data import load_training_data as load

        matchers(texts[:2000], collect_terms(load(args.data), args.catalog).service_patterns)


if __name__ == "__main__":
    main()
