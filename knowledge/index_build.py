"""Build the retrieval index into `settings.index_dir`, load it, and swap in a rebuilt one while running.

Layout: each build is written to a temporary directory, renamed to `v-<hash>` (the hash of its content),
and only then published by atomically replacing `manifest.json`, which names the current version and
the SHA-256 of every file. A reader therefore sees the old index or the new one, never half of one, and
a version whose files do not match its manifest is refused. The same catalog, NLU data and seed give
byte-identical files and so the same version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.errors import ModelNotFoundError
from knowledge.dense import DenseIndex, DenseParams
from knowledge.loader import Catalog, load_catalog
from knowledge.passages import build_passages, passages_from_dicts, training_pairs
from knowledge.retriever import FusionParams, RetrievalResult, Retriever, default_query_normalizer
from knowledge.sparse import NameIndex, Readings, SparseIndex, name_keys

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# Bumped whenever the files of a version change shape; older versions must be rebuilt.
FORMAT = 3  # 3: the character reading table is saved with the index (readings.json)
ENCODER_EPOCHS = 3
_KEEP_VERSIONS = 3
# Written by sentence-transformers with library versions and dates; not part of the index's content.
_UNHASHED = {"README.md"}


@dataclass(frozen=True)
class IndexReport:
    """What a build produced."""

    version: str
    path: str
    services: int
    passages: int
    pairs: int
    dim: int
    dense_kind: str
    encoder: str
    seconds: float


def _file_hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under `directory`, by relative path, in sorted order."""
    out = {}
    for f in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = f.relative_to(directory).as_posix()
        if f.name not in _UNHASHED:
            with f.open("rb") as fh:  # streamed: checking a version does not pull its files into memory
                out[rel] = hashlib.file_digest(fh, "sha256").hexdigest()
    return out


def _content_hash(files: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def make_retriever(
    catalog: Catalog,
    pairs: list[tuple[str, str]],
    encoder_dir: Path,
    *,
    encoder_name: str = "",
    params: FusionParams | None = None,
    seed: int = 42,
    epochs: int = ENCODER_EPOCHS,
) -> Retriever:
    """Build a retriever in memory: the encoder trained on `pairs` into `encoder_dir` unless one is named."""
    from bot.nlu.encoder import load_encoder, train_encoder

    norm = default_query_normalizer()
    passages = build_passages(catalog)
    index_texts = [norm(p.index_text) for p in passages]
    if not encoder_name:
        train_encoder(pairs, encoder_dir, seed=seed, epochs=epochs)
        (encoder_dir / "README.md").unlink(missing_ok=True)  # dated model card, not content
    # The passages are encoded by the same loader, and so the same code, that serving will use for queries.
    encoder = load_encoder(encoder_name or encoder_dir)
    vectors = encoder.encode(
        index_texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=256, show_progress_bar=False
    )
    keys = [sorted({norm(k) for k in name_keys(s.name, s.aliases)} - {""}) for s in catalog.services]
    readings = Readings.from_pypinyin()
    return Retriever(
        passages, encoder, DenseIndex.build(vectors), SparseIndex.build(index_texts, readings), params, norm,
        NameIndex.build(keys, readings),
    )


def build_index(settings: Settings, *, seed: int = 42, epochs: int = ENCODER_EPOCHS) -> IndexReport:
    """Build passages, encoder (unless `settings.encoder` names one), dense and sparse indexes; publish."""
    started = time.perf_counter()
    catalog = load_catalog(settings.catalog_dir)
    norm = default_query_normalizer()
    pairs = [] if settings.encoder else training_pairs(catalog, Path(settings.nlu_data) / "nlu", norm)
    root = Path(settings.index_dir)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        retriever = make_retriever(
            catalog, pairs, tmp / "encoder", encoder_name=settings.encoder, seed=seed, epochs=epochs
        )
        retriever.dense.save(tmp)
        retriever.sparse.save(tmp)
        retriever.sparse.readings.save(tmp)
        assert retriever.names is not None
        _write_json(tmp / "names.json", retriever.names.to_json())
        _write_json(tmp / "passages.json", [p.to_dict() for p in retriever.passages])
        encoder_ref = settings.encoder or "encoder"
        _write_json(tmp / "index.json", {"format": FORMAT, "encoder": encoder_ref, "seed": seed, "epochs": epochs})
        files = _file_hashes(tmp)
        content = _content_hash(files)
        version = f"v-{content[:16]}"
        final = root / version
        try:
            os.replace(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(tmp)  # the same content is already built (perhaps by a concurrent build)
        previous = _read_manifest(root) or {}
        history = [v for v in [previous.get("version"), *previous.get("history", [])] if v and v != version]
        manifest = {
            "format": FORMAT,
            "version": version,
            "content_hash": content,
            "files": files,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "services": len(catalog.services),
            "passages": len(retriever.passages),
            "history": history[: _KEEP_VERSIONS - 1],
        }
        publish_manifest(root, manifest)
        _prune(root, {version, *history[: _KEEP_VERSIONS - 1]})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return IndexReport(
        version, str(final), len(catalog.services), len(retriever.passages), len(pairs), retriever.dense.params.dim,
        retriever.dense.kind, encoder_ref, round(time.perf_counter() - started, 2),
    )


def publish_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Atomically replace `manifest.json`, the one file that says which version is current."""
    fd, tmp_name = tempfile.mkstemp(prefix=".manifest-", dir=root)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_name, root / MANIFEST)


def _read_manifest(root: Path) -> dict[str, Any] | None:
    try:
        return json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _prune(root: Path, keep: set[str]) -> None:
    """Remove versions no manifest refers to (readers may still be loading the previous ones)."""
    for d in root.glob("v-*"):
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


def fusion_params(settings: Settings) -> FusionParams:
    """Fusion parameters with the confidence threshold from settings."""
    return FusionParams(threshold=settings.retrieval_threshold)


def load_dense(directory: Path) -> DenseIndex:
    """`DenseIndex.load` with the vectors memory-mapped read-only where FAISS can map them.

    Flat and HNSW indexes map their vectors (`IO_FLAG_MMAP_IFC`), an inverted file maps its lists
    (`IO_FLAG_MMAP`); the graph and the coarse centroids are still read into memory. Mapped pages live
    in the page cache, so every worker on a machine shares one copy, and a version pruned while a worker
    still searches it stays readable until the worker lets it go. Mapping relies on a published version
    never being rewritten in place (a build always writes a new directory). Scores and ids are the same
    as a read into memory (tests/knowledge/test_static_encoder.py).
    """
    import faiss

    params = DenseParams(**json.loads((directory / "dense.json").read_text(encoding="utf-8")))
    mapped = getattr(faiss, "IO_FLAG_MMAP" if params.kind == "ivf" else "IO_FLAG_MMAP_IFC", 0)
    index = faiss.read_index(str(directory / "dense.faiss"), mapped | faiss.IO_FLAG_READ_ONLY)
    if index.ntotal != params.size or index.d != params.dim:
        raise ValueError(f"dense index holds {index.ntotal}x{index.d}, expected {params.size}x{params.dim}")
    return DenseIndex(index, params)


def load_version(root: Path, manifest: dict[str, Any], params: FusionParams) -> Retriever:
    """Load the version a manifest names, refusing files that do not match their recorded hashes."""
    from bot.nlu.encoder import load_encoder

    directory = root / str(manifest["version"])
    if manifest.get("format") != FORMAT:
        raise ModelNotFoundError(f"index {directory} has an older format; run `linli index`")
    if _file_hashes(directory) != manifest["files"]:
        raise ModelNotFoundError(f"index {directory} does not match its manifest")
    meta = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    ref = meta["encoder"]
    encoder = load_encoder(directory / ref if ref == "encoder" else ref)
    rows = json.loads((directory / "passages.json").read_text(encoding="utf-8"))
    readings = Readings.load(directory)
    names = NameIndex.from_json(json.loads((directory / "names.json").read_text(encoding="utf-8")), readings)
    return Retriever(
        passages_from_dicts(rows), encoder, load_dense(directory), SparseIndex.load(directory, readings), params,
        names=names,
    )


def load_retriever(settings: Settings) -> Retriever:
    """The retriever over the current index; ModelNotFoundError when `linli index` has not been run."""
    root = Path(settings.index_dir)
    manifest = _read_manifest(root)
    if manifest is None:
        raise ModelNotFoundError(f"no retrieval index at {root}; run `linli index`")
    return load_version(root, manifest, fusion_params(settings))


class ReloadingRetriever:
    """A retriever that picks up a newly published index without a restart, keeping the last good one.

    At most every `check_seconds`, a search starts a background thread that reads the manifest (a small
    file) and, when it names a new version, loads it (about a second); that search and every one after it
    use the index in place until the new one is ready, so no resident's turn waits for a reload.
    `reload()` does the same check in the caller's thread, on demand. The lock only keeps two checks from
    loading at once; searches never take it, and the swap is a single assignment, so a search sees the
    old index or the new one. A version that fails to load (missing or
    altered files, a corrupt index) is logged and skipped until the manifest names another.
    """

    def __init__(self, settings: Settings, check_seconds: float = 10.0) -> None:
        self.root = Path(settings.index_dir)
        self.params = fusion_params(settings)
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        manifest = _read_manifest(self.root)
        if manifest is None:
            raise ModelNotFoundError(f"no retrieval index at {self.root}; run `linli index`")
        self._current = load_version(self.root, manifest, self.params)
        self.version: str = manifest["version"]
        self._refused: tuple[str, str] | None = None
        self._checked = time.monotonic()
        self._checker: threading.Thread | None = None

    @property
    def current(self) -> Retriever:
        """The retriever in use now."""
        return self._current

    def reload(self) -> bool:
        """Swap in the published version if it is new and loads; True when a swap happened."""
        if not self._lock.acquire(blocking=False):
            return False  # another thread is already checking
        try:
            self._checked = time.monotonic()
            manifest = _read_manifest(self.root)
            if manifest is None:
                return False
            version = str(manifest.get("version"))
            key = (version, str(manifest.get("content_hash")))
            if version == self.version or key == self._refused:
                return False
            try:
                fresh = load_version(self.root, manifest, self.params)
            except Exception:
                log.exception("retrieval index %s is broken; keeping %s", version, self.version)
                self._refused = key
                return False
            self._current, self.version = fresh, version
            log.info("retrieval index switched to %s", version)
            return True
        finally:
            self._lock.release()

    def search(self, query: str, k: int = 5) -> RetrievalResult:
        """Search the current index; if it is time to check for a new one, start that check in the background."""
        if time.monotonic() - self._checked >= self.check_seconds and not self._checking():
            self._checked = time.monotonic()
            self._checker = threading.Thread(target=self.reload, name="index-reload", daemon=True)
            self._checker.start()
        return self._current.search(query, k)

    def _checking(self) -> bool:
        return self._checker is not None and self._checker.is_alive()

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for a background check (and load) in progress to finish."""
        if self._checker is not None:
            self._checker.join(timeout)


__all__ = [
    "IndexReport", "ReloadingRetriever", "build_index", "load_dense", "load_retriever", "make_retriever",
    "publish_manifest",
]
