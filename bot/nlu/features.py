"""Sentence features for the intent classifier: character n-grams, pinyin n-grams, optionally words.

Character n-grams survive the missing punctuation and odd segmentation of dictated text; pinyin n-grams
(accent-folded, see `pinyin.py`) make 高龄经贴 and 保修 look like 高龄津贴 and 报修 to the classifier.
Weights are TF-IDF with sublinear term frequency, L2-normalised, computed here rather than by scikit-learn
so that parsing needs neither scikit-learn nor scipy.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bot.nlu.pinyin import PinyinTable

_DIGITS = re.compile(r"\d+")
_LATIN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class FeatureConfig:
    """Which features to use; stored with the model so that parsing computes the same ones."""

    char_min: int = 1
    char_max: int = 3
    pinyin_min: int = 1
    pinyin_max: int = 3
    pinyin_weight: float = 0.6
    words: bool = False
    word_weight: float = 0.5
    min_df: int = 1

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form."""
        return asdict(self)


def _syllables(text: str, table: PinyinTable) -> list[str]:
    out: list[str] = []
    for m in re.finditer(r"[a-z]+|#|.", text):
        tok = m.group(0)
        if tok.isspace():
            continue
        readings = table.get(tok)
        out.append(readings[0] if readings else tok)
    return out


def tokens(text: str, table: PinyinTable, cfg: FeatureConfig) -> Counter[str]:
    """The weighted feature tokens of one normalised sentence (prefix c: characters, p: pinyin)."""
    t = _DIGITS.sub("#", text)
    counts: Counter[str] = Counter()
    padded = f" {t} "
    for n in range(cfg.char_min, cfg.char_max + 1):
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if gram.strip():
                counts["c:" + gram] += 1
    if cfg.pinyin_weight > 0:
        syl = ["^", *_syllables(t, table), "$"]
        for n in range(cfg.pinyin_min, cfg.pinyin_max + 1):
            for i in range(len(syl) - n + 1):
                gram = syl[i : i + n]
                if n == 1 and gram[0] in ("^", "$"):
                    continue
                counts["p:" + " ".join(gram)] += 1
    if cfg.words:
        import jieba

        for w in jieba.lcut(t, HMM=False):
            if w.strip():
                counts["w:" + w] += 1
    return counts


class Vectorizer:
    """TF-IDF over a fixed vocabulary, with a weight per feature group."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, cfg: FeatureConfig) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {tok: i for i, tok in enumerate(self.vocabulary)}
        self.cfg = cfg
        group = {"c": 1.0, "p": cfg.pinyin_weight, "w": cfg.word_weight}
        self.weights = (np.asarray(idf, dtype=np.float64) * np.array([group[t[0]] for t in self.vocabulary])
                        if self.vocabulary else np.zeros(0))

    @classmethod
    def fit(cls, docs: Sequence[Counter[str]], cfg: FeatureConfig) -> Vectorizer:
        """Learn the vocabulary (sorted, for deterministic models) and smoothed IDF from training docs."""
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        vocab = sorted(t for t, n in df.items() if n >= cfg.min_df)
        n_docs = len(docs)
        idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocab])
        return cls(vocab, idf, cfg)

    def transform_one(self, doc: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalised values of one document's known features."""
        idx = []
        val = []
        for tok, n in doc.items():
            i = self.index.get(tok)
            if i is not None:
                idx.append(i)
                val.append((1.0 + math.log(n)) * self.weights[i])
        if not idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        values = np.array(val)
        norm = float(np.sqrt(values @ values))
        return np.array(idx, dtype=np.int64), values / (norm or 1.0)

    def transform(self, docs: Sequence[Counter[str]]) -> Any:
        """A sparse CSR (documents × vocabulary) matrix, for training (imports scipy)."""
        from scipy.sparse import csr_matrix

        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for d in docs:
            idx, val = self.transform_one(d)
            order = np.argsort(idx)
            indices.append(idx[order])
            data.append(val[order])
            indptr.append(indptr[-1] + len(idx))
        return csr_matrix(
            (np.concatenate(data) if data else np.zeros(0), np.concatenate(indices) if indices else np.zeros(0, int),
             np.array(indptr)),
            shape=(len(docs), len(self.vocabulary)),
        )
