"""The sentence-embedding feature: the shared encoder of `bot.nlu.encoder`, or a pretrained model.

By default the encoder is trained on same-intent pairs of the training data; a static-embedding model is
only a token table and a mean, so parsing runs it with the `tokenizers` library and numpy, without
importing torch. A deployment that has a pretrained sentence-transformers model (e.g. bge-small-zh in the
local cache) names it with the `ENCODER` setting; parsing then loads it through sentence-transformers.

The feature is off by default because on our data it did not help: the encoder trained on the same
sentences the classifier sees makes features that look better in training than they are, and the
classifier leans on them (`linli train --embedding`; measured on the development sets in
`bench/data/`: intent accuracy 98.3 % → 95.7 %, confidently wrong 1.7 % → 4.1 %; at weight 0.3,
96.6 % and 2.9 %).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from bot.nlu.static_encoder import StaticEmbeddingEncoder


class SentenceEncoder(Protocol):
    """What the classifier needs of an encoder: a fixed-size vector per sentence."""

    @property
    def dim(self) -> int:
        """Size of the sentence vector."""
        ...

    def encode(self, text: str) -> np.ndarray:
        """The L2-normalised sentence vector."""
        ...


class StaticEncoder:
    """A saved sentence-transformers StaticEmbedding, evaluated with numpy (`bot.nlu.static_encoder`)."""

    def __init__(self, model: StaticEmbeddingEncoder) -> None:
        self.model = model

    @property
    def dim(self) -> int:
        """Size of the sentence vector."""
        return self.model.get_embedding_dimension()

    @classmethod
    def load(cls, path: Path) -> StaticEncoder:
        """Read `tokenizer.json` and the memory-mapped `model.safetensors` of a saved encoder directory."""
        from bot.nlu.static_encoder import StaticEmbeddingEncoder

        return cls(StaticEmbeddingEncoder.load(path))

    def encode(self, text: str) -> np.ndarray:
        """The L2-normalised mean of the token vectors (zero for text the encoder has never seen)."""
        return self.model.encode([text], normalize_embeddings=True)[0]


class PretrainedEncoder:
    """A named sentence-transformers model (local files only), with the `StaticEncoder` interface."""

    def __init__(self, name: str) -> None:
        from bot.nlu.encoder import load_encoder

        self.name = name
        self.model = load_encoder(name)

    @property
    def dim(self) -> int:
        """Size of the sentence vector."""
        return int(self.model.get_embedding_dimension() or 0)

    def encode(self, text: str) -> np.ndarray:
        """The L2-normalised sentence vector."""
        return np.asarray(self.model.encode([text], normalize_embeddings=True)[0], dtype=np.float32)


def intent_pairs(texts: Sequence[str], labels: Sequence[str], *, seed: int, per_text: int = 2) -> list[tuple[str, str]]:
    """(anchor, positive) pairs of two different sentences of the same intent, drawn reproducibly."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for t, lab in zip(texts, labels, strict=True):
        if t and t not in by_intent[lab]:
            by_intent[lab].append(t)
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    for lab in sorted(by_intent):
        group = by_intent[lab]
        if len(group) < 2:
            continue
        for t in group:
            others = [o for o in group if o != t]
            for o in rng.sample(others, min(per_text, len(others))):
                pairs.append((t, o))
    return pairs


def train_static_encoder(texts: Sequence[str], labels: Sequence[str], out_dir: Path, *, seed: int) -> StaticEncoder:
    """Train the shared encoder on same-intent pairs, save it under `out_dir`, return the numpy view."""
    from bot.nlu.encoder import train_encoder

    train_encoder(intent_pairs(texts, labels, seed=seed), Path(out_dir), seed=seed)
    return StaticEncoder.load(Path(out_dir))
