"""A saved sentence-transformers ``StaticEmbedding`` evaluated with the `tokenizers` library and numpy.

A static-embedding model is a token table and a mean: importing torch and sentence-transformers to run
it cost a serving process 350 of its 660 MB and 13 s of its 19 s of imports (`bench/memory_bench.py
--before`: 662 → 310 MB resident after 48 messages). `StaticEmbeddingEncoder` gives the same vectors
(within 1e-6; the sums are float32 in either case, only their order may differ) from the same saved
files, with the embedding table memory-mapped, so several workers on one machine share its pages.

`is_static_embedding(path)` says whether a saved model is exactly such a model; `bot.nlu.encoder.
load_encoder` uses it to choose between this and sentence-transformers.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
_WEIGHT_KEY = "embedding.weight"
_STATIC_TYPE_SUFFIX = ".StaticEmbedding"
# Tables of other dtypes are left to sentence-transformers, which computes in their precision.
_DTYPE = "F32"
# Token rows gathered at a time while pooling: bounds the scratch memory (4 MB at 256 dimensions)
# however long a text is, at no cost in speed (the 1.6k catalog passages took the same time unchunked).
# np.add.at sums each text's rows in order, as torch's EmbeddingBag does: the vectors came out equal to
# the last bit, where np.add.reduceat (3x faster) differed by up to 5e-5 before the mean.
_TOKEN_CHUNK = 4096
# torch.nn.functional.normalize's floor, so that the zero vector stays zero, as it does there.
_NORM_EPS = 1e-12


class TextEncoder(Protocol):
    """What retrieval and NLU need of an encoder; SentenceTransformer and StaticEmbeddingEncoder both fit.

    `encode` is called as ``encode(texts, normalize_embeddings=True, convert_to_numpy=True, ...)`` and
    returns one float32 row per text.
    """

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        """Sentence vectors for the given texts."""
        ...

    def get_embedding_dimension(self) -> int | None:
        """Size of a sentence vector."""
        ...


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _safetensors_header(path: Path) -> tuple[dict[str, Any], int]:
    """The header of a safetensors file and the offset at which its data starts.

    The format is an 8-byte little-endian header length, that many bytes of JSON, then the raw data.
    """
    with path.open("rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    if not isinstance(header, dict):
        raise ValueError(f"{path}: not a safetensors file")
    return header, 8 + length


def _table_spec(path: Path) -> tuple[dict[str, Any], int] | None:
    """The header entry of the embedding table and where the data starts, if it is a float32 matrix."""
    try:
        header, data_start = _safetensors_header(path)
    except (OSError, ValueError, struct.error):
        return None
    spec = header.get(_WEIGHT_KEY)
    if not isinstance(spec, dict) or spec.get("dtype") != _DTYPE or len(spec.get("shape", ())) != 2:
        return None
    return spec, data_start


def is_static_embedding(path: str | Path) -> bool:
    """Whether `path` is a saved model that is one plain StaticEmbedding and nothing else.

    Anything more (pooling or dense layers, a normaliser module, non-empty prompts, model2vec-style
    or half-precision weights) is left to sentence-transformers, which knows what those mean.
    """
    root = Path(path)
    modules = _read_json(root / "modules.json")
    if not (isinstance(modules, list) and len(modules) == 1 and isinstance(modules[0], dict)):
        return False
    module = modules[0]
    if not str(module.get("type", "")).endswith(_STATIC_TYPE_SUFFIX):
        return False
    config = _read_json(root / "config_sentence_transformers.json")
    config = config if isinstance(config, dict) else {}
    prompts = config.get("prompts")
    if config.get("default_prompt_name") or (isinstance(prompts, dict) and any(prompts.values())):
        return False
    directory = root / str(module.get("path", ""))
    return (directory / TOKENIZER).is_file() and _table_spec(directory / WEIGHTS) is not None


def load_table(path: Path) -> np.ndarray:
    """The embedding table of a safetensors file, memory-mapped read-only (shared between processes)."""
    found = _table_spec(path)
    if found is None:
        raise ValueError(f"{path} holds no float32 {_WEIGHT_KEY} table")
    spec, data_start = found
    begin, end = spec["data_offsets"]
    rows, dim = (int(n) for n in spec["shape"])
    if end - begin != rows * dim * 4:
        raise ValueError(f"{path}: {_WEIGHT_KEY} has {end - begin} bytes for shape {rows}x{dim}")
    # Little-endian, as safetensors always stores it.
    return np.memmap(path, dtype="<f4", mode="r", offset=data_start + begin, shape=(rows, dim))


def _batches(texts: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(texts), size):
        yield texts[i : i + size]


class StaticEmbeddingEncoder:
    """Mean of token vectors, like sentence-transformers' StaticEmbedding (an EmbeddingBag in mean mode).

    Tokens come from the saved `tokenizers` tokenizer without special tokens; text with no known token
    is the zero vector, and stays zero when normalised.
    """

    def __init__(self, tokenizer: Tokenizer, table: np.ndarray) -> None:
        if table.ndim != 2 or table.shape[0] != tokenizer.get_vocab_size():
            raise ValueError(f"table of shape {table.shape} for a vocabulary of {tokenizer.get_vocab_size()}")
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.table = table

    @classmethod
    def load(cls, path: str | Path) -> StaticEmbeddingEncoder:
        """Read the tokenizer and the (memory-mapped) table of a saved StaticEmbedding model."""
        from tokenizers import Tokenizer

        root = Path(path)
        modules = _read_json(root / "modules.json")
        directory = root / str(modules[0].get("path", "")) if isinstance(modules, list) and modules else root
        return cls(Tokenizer.from_file(str(directory / TOKENIZER)), load_table(directory / WEIGHTS))

    def get_embedding_dimension(self) -> int:
        """Size of a sentence vector."""
        return int(self.table.shape[1])

    def encode(
        self,
        sentences: str | Sequence[str],
        *,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        normalize_embeddings: bool = False,
    ) -> np.ndarray:
        """One float32 row per text (a single vector for a single string), as SentenceTransformer.encode.

        `show_progress_bar` is accepted and ignored; only numpy output exists here.
        """
        del show_progress_bar
        if not convert_to_numpy:
            raise ValueError("StaticEmbeddingEncoder returns numpy arrays only")
        single = isinstance(sentences, str)
        texts: Sequence[str] = [sentences] if isinstance(sentences, str) else list(sentences)
        rows = [self._pool(batch) for batch in _batches(texts, max(1, batch_size))]
        out = np.vstack(rows) if rows else np.zeros((0, self.get_embedding_dimension()), dtype=np.float32)
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.maximum(norms, _NORM_EPS)
        return out[0] if single else out

    def _pool(self, texts: Sequence[str]) -> np.ndarray:
        """Mean token vector of each text; texts without known tokens give zero rows."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        flat = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64, count=int(lengths.sum()))
        owner = np.repeat(np.arange(len(encodings)), lengths)
        sums = np.zeros((len(encodings), self.table.shape[1]), dtype=np.float32)
        for start in range(0, flat.size, _TOKEN_CHUNK):
            part = slice(start, start + _TOKEN_CHUNK)
            np.add.at(sums, owner[part], self.table[flat[part]])
        return sums / np.maximum(lengths, 1).astype(np.float32)[:, None]


__all__ = ["StaticEmbeddingEncoder", "TextEncoder", "is_static_embedding", "load_table"]
