"""The sentence encoder: a small static-embedding model trained from Linli's own text, or a pretrained one.

Contract (the retrieval index and the NLU engine both rely on it; keep it stable):

- ``train_encoder(pairs, out_dir, *, seed=42, epochs=1) -> SentenceTransformer``
  trains a sentence-transformers ``StaticEmbedding`` on ``(anchor, positive)`` text pairs with
  ``MultipleNegativesRankingLoss`` (in-batch negatives), saves it to ``out_dir`` and returns it.
  Its tokenizer is built from the training text itself (characters plus frequent jieba words, a
  ``tokenizers`` Unigram model), so nothing is downloaded. Same pairs and seed give bit-identical
  weights (training runs on one thread). Pairs sharing a positive text are never put in one batch,
  so repeated positives (many questions for one service or intent) are not used as each other's
  negatives; pairs of one class with *different* positives can still meet in a batch, so give each
  class one canonical positive where the classes are few. ``epochs=1`` is a quick default; the
  retrieval index trains 3 epochs (~6 s CPU for ~11k pairs).
- ``load_encoder(name_or_path) -> TextEncoder`` loads a saved encoder from a directory, or a
  pretrained model by name from the local Hugging Face cache only (never the network). A saved plain
  StaticEmbedding (what ``train_encoder`` writes) is run with numpy (`bot.nlu.static_encoder`), so
  serving imports neither torch nor sentence-transformers; anything else goes through
  sentence-transformers.

Encode with ``model.encode(texts, normalize_embeddings=True)``; text the encoder has never seen maps to
the zero vector, whose similarity to everything is 0.
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.text import CJK, fold_width_case

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    from bot.nlu.static_encoder import TextEncoder

log = logging.getLogger(__name__)

DEFAULT_DIM = 256
UNK = "[UNK]"
_BATCH_SIZE = 256
_LEARNING_RATE = 0.05
# Inverse temperature of the in-batch softmax: 7 beat 12, 20 and 30 on held-out development questions
# (a softer softmax keeps close services apart without overfitting the catalog's own wording).
_SCALE = 7.0
# Words longer than this are left to their parts, so a long name and a short mention share tokens.
_MAX_WORD_CHARS = 4
_MIN_WORD_COUNT = 2
_CJK_RE = re.compile(f"[{CJK}]")
_CJK_RUN_RE = re.compile(f"[{CJK}]+")
_LATIN_OR_DIGITS_RE = re.compile(r"[0-9]+|[a-z]+")
# Full-width to half-width and lower case, as the tokenizer's own normaliser does (NFKC, Lowercase).
_norm = fold_width_case


def _vocabulary(texts: Iterable[str]) -> list[tuple[str, float]]:
    """Pieces and log-probabilities: every character seen, plus words jieba finds at least twice."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    chars: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for text in texts:
        t = _norm(text)
        # Latin letters only as whole words (app, wifi): single letters would let any gibberish match.
        chars.update(c for c in t if not (c.isspace() or c.isascii() or unicodedata.category(c).startswith("P")))
        chars.update(_LATIN_OR_DIGITS_RE.findall(t))
        chars.update(c for c in t if c.isdigit())
        for run in _CJK_RUN_RE.findall(t):
            words.update(w for w in jieba.lcut(run, HMM=False) if 2 <= len(w) <= _MAX_WORD_CHARS)
    pieces = dict(chars)
    pieces.update({w: n for w, n in words.items() if n >= _MIN_WORD_COUNT})
    total = sum(pieces.values()) or 1
    ordered = sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(UNK, 0.0)] + [(p, math.log(n / total)) for p, n in ordered]


def build_tokenizer(texts: Iterable[str]) -> Tokenizer:
    """A Unigram tokenizer over characters and frequent words of `texts`; unknown text becomes [UNK]."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.Unigram(_vocabulary(texts), unk_id=0, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\s+"), "removed"),
            pre_tokenizers.Punctuation("removed"),
            pre_tokenizers.Split(Regex(r"[0-9]+|[a-z]+"), "isolated"),
        ]
    )
    return tok


def spaced_chars(text: str) -> str:
    """Split Chinese runs into single characters so that training reaches the character embeddings too."""
    return _CJK_RE.sub(lambda m: f" {m.group(0)} ", text)


def _batches(pairs: list[tuple[str, str]], rng: random.Random, size: int) -> list[list[tuple[str, str]]]:
    """One epoch of batches in which no two pairs share a positive, so in-batch negatives are true ones.

    Each round deals one pair from every group of pairs with the same positive, in a fresh random order,
    and is cut into equal batches of at most `size`. A group gives at most the median group size per
    epoch (a random share of it, different each epoch), so every batch has many negatives and no group
    dominates the training.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        groups.setdefault(pair[1], []).append(pair)
    sizes = sorted(len(g) for g in groups.values())
    cap = max(2, sizes[len(sizes) // 2])
    queues = []
    for key in sorted(groups):
        group = groups[key][:]
        rng.shuffle(group)
        queues.append(group[:cap])
    batches: list[list[tuple[str, str]]] = []
    while True:
        live = [q for q in queues if q]
        if len(live) < 2:
            break
        rng.shuffle(live)
        round_ = [q.pop() for q in live]
        # Distinct positives; anchors may repeat only across groups, which is harmless but rare.
        chunks = -(-len(round_) // size)
        step = -(-len(round_) // chunks)
        batches.extend(round_[i : i + step] for i in range(0, len(round_), step))
    return [b for b in batches if len(b) > 1]


def _features(ids: Sequence[list[int]]) -> dict[str, Any]:
    """EmbeddingBag input for pre-tokenised texts (what StaticEmbedding.preprocess would build)."""
    import torch

    offsets = [0]
    for row in ids[:-1]:
        offsets.append(offsets[-1] + len(row))
    flat = [i for row in ids for i in row]
    return {"input_ids": torch.tensor(flat, dtype=torch.long), "offsets": torch.tensor(offsets, dtype=torch.long)}


def train_encoder(
    pairs: Sequence[tuple[str, str]],
    out_dir: Path,
    *,
    seed: int = 42,
    epochs: int = 1,
    dim: int = DEFAULT_DIM,
) -> SentenceTransformer:
    """Train a static-embedding encoder on (anchor, positive) pairs in seconds on CPU and save it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    clean = sorted({(a.strip(), p.strip()) for a, p in pairs if a.strip() and p.strip() and a.strip() != p.strip()})
    if len(clean) < 2:
        raise ValueError("train_encoder needs at least two distinct (anchor, positive) pairs")
    # Character-split anchors train the character vectors that typos and unseen words fall back to.
    augmented = clean + [(spaced_chars(a), p) for a, p in clean if spaced_chars(a).split() != a.split()]
    tokenizer = build_tokenizer(sorted({t for pair in clean for t in pair}))

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)  # one thread: the same float sums in the same order, every run
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        weights = torch.randn(tokenizer.get_vocab_size(), dim) * 0.1
        weights[0] = 0.0  # [UNK] carries no meaning and stays at zero
        static = StaticEmbedding(tokenizer, embedding_weights=weights)
        # Sparse gradients: a step touches only the rows of the tokens in its batch, not the whole table.
        static.embedding = torch.nn.EmbeddingBag.from_pretrained(weights, freeze=False, mode="mean", sparse=True)
        model = SentenceTransformer(modules=[static], device="cpu")
        loss_fn = MultipleNegativesRankingLoss(model, scale=_SCALE)
        embedding = static.embedding
        optimizer = torch.optim.SparseAdam(list(embedding.parameters()), lr=_LEARNING_RATE)
        rng = random.Random(seed)
        model.train()
        texts = sorted({t for pair in augmented for t in pair})
        encoded = tokenizer.encode_batch(texts, add_special_tokens=False)
        token_ids = {text: e.ids for text, e in zip(texts, encoded, strict=True)}
        for epoch in range(epochs):
            total, steps = 0.0, 0
            for batch in _batches(augmented, rng, _BATCH_SIZE):
                anchors = _features([token_ids[a] for a, _ in batch])
                positives = _features([token_ids[p] for _, p in batch])
                loss = loss_fn([anchors, positives], torch.zeros(len(batch), dtype=torch.long))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    embedding.weight[0].zero_()
                total += float(loss.detach())
                steps += 1
            log.debug("encoder epoch %d: mean loss %.4f over %d batches", epoch + 1, total / max(steps, 1), steps)
        model.eval()
        # Saved and loaded as a plain (dense-gradient) table, exactly what StaticEmbedding builds itself.
        static.embedding = torch.nn.EmbeddingBag.from_pretrained(embedding.weight.detach().clone(), freeze=False)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return model


def load_encoder(name_or_path: str | Path) -> TextEncoder:
    """Load a saved encoder directory, or a pretrained model from the local cache only (never the network).

    A plain saved StaticEmbedding is evaluated with numpy: the same vectors without importing torch,
    which made up 350 of the 660 MB of a serving process (`bench/memory_bench.py --before`).
    """
    from bot.nlu.static_encoder import StaticEmbeddingEncoder, is_static_embedding

    if Path(name_or_path).is_dir() and is_static_embedding(name_or_path):
        return StaticEmbeddingEncoder.load(name_or_path)
    # The environment switches cover libraries imported after this point; local_files_only covers the rest.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(name_or_path), device="cpu", local_files_only=True)


__all__ = ["DEFAULT_DIM", "build_tokenizer", "load_encoder", "spaced_chars", "train_encoder"]
