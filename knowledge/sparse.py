"""Sparse retrieval: BM25 over character n-grams and accent-folded pinyin n-grams.

Characters catch exact wording; toneless pinyin, with the initials and finals that southern accents and
speech-to-text confuse folded together (zh/z, ch/c, sh/s, l/n, h/f, -ing/-in, -eng/-en, -ang/-an), catches
homophone slips: 高龄经贴 and 高龄津贴 share every pinyin bigram. Scores are normalised by the most the
query could score, so they lie in [0, 1] and say how much of the query a passage covers.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]+")
_WORD_RE = re.compile(r"[0-9]+|[a-z]+")
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("h", "f"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))
# Pinyin terms count a little less than characters: a shared sound is weaker evidence than a shared glyph.
PINYIN_WEIGHT = 0.7
K1 = 1.2
B = 0.75


def fold_syllable(syl: str) -> str:
    """Fold a toneless pinyin syllable so that commonly confused sounds become one."""
    for a, b in _INITIALS:
        if syl.startswith(a):
            syl = b + syl[len(a) :]
            break
    for a, b in _FINALS:
        if syl.endswith(a):
            syl = syl[: -len(a)] + b
            break
    return syl


def _pinyin(run: str) -> list[str]:
    """Folded toneless pinyin of a run of Chinese characters, one syllable per character."""
    from pypinyin import Style, lazy_pinyin

    syls = lazy_pinyin(run, style=Style.NORMAL, errors=lambda x: ["?"] * len(x), v_to_u=False)
    if len(syls) != len(run):  # pypinyin keeps one syllable per character; guard the alignment anyway
        syls = [lazy_pinyin(c, style=Style.NORMAL)[0] for c in run]
    return [fold_syllable(s) for s in syls]


def normalize(text: str) -> str:
    """Full-width to half-width and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def terms(text: str) -> Counter[str]:
    """Weighted-by-count terms of a text: CJK characters and bigrams, digit/latin words, pinyin bigrams."""
    t = normalize(text)
    out: Counter[str] = Counter(_WORD_RE.findall(t))
    for run in _CJK_RUN_RE.findall(t):
        out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
        syls = _pinyin(run)
        out.update(f"~{a}_{b}" for a, b in zip(syls, syls[1:], strict=False))
        if len(run) == 1:
            out[f"~{syls[0]}"] += 1
    return out


def _term_weight(term: str) -> float:
    """Pinyin terms (prefixed `~`) weigh less than character terms."""
    return PINYIN_WEIGHT if term.startswith("~") else 1.0


class SparseIndex:
    """BM25 over a fixed list of documents, with scores normalised to [0, 1]."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, matrix: object) -> None:
        self.vocab = vocab
        self.idf = idf
        self.matrix = matrix  # scipy CSC, documents x terms, holding BM25 term scores
        self._unseen_idf = float(idf.max()) if len(idf) else 0.0

    @property
    def size(self) -> int:
        """How many documents the index holds."""
        return int(self.matrix.shape[0])  # type: ignore[attr-defined]

    @classmethod
    def build(cls, texts: Sequence[str]) -> SparseIndex:
        """Index `texts` (document i is texts[i])."""
        from scipy import sparse

        docs = [terms(t) for t in texts]
        vocab: dict[str, int] = {}
        for d in docs:
            for term in sorted(d):
                vocab.setdefault(term, len(vocab))
        n = len(docs)
        df = np.zeros(len(vocab), dtype=np.float64)
        for d in docs:
            for term in d:
                df[vocab[term]] += 1
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
        avg = float(lengths.mean()) if n else 1.0
        rows, cols, vals = [], [], []
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * lengths[i] / avg)
            for term, tf in d.items():
                j = vocab[term]
                rows.append(i)
                cols.append(j)
                vals.append(idf[j] * tf * (K1 + 1) / (tf + norm))
        matrix = sparse.csc_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, len(vocab)))
        return cls(vocab, idf, matrix)

    def scores(self, query: str) -> np.ndarray:
        """Every document's score for `query`, in [0, 1]: the share of the query's BM25 ceiling it reaches.

        Query terms the catalog never uses count towards the ceiling at the rarest seen term's weight,
        so gibberish and other topics score low instead of matching on one common character.
        """
        q = terms(query)
        out = np.zeros(self.size, dtype=np.float32)
        if not q:
            return out
        ids, weights, ceiling = [], [], 0.0
        for term, count in q.items():
            w = _term_weight(term) * (1.0 + math.log(count))
            j = self.vocab.get(term)
            ceiling += w * (K1 + 1) * (self._unseen_idf if j is None else float(self.idf[j]))
            if j is not None:
                ids.append(j)
                weights.append(w)
        if ids and ceiling > 0:
            sub = self.matrix[:, ids]  # type: ignore[index]
            out = np.asarray(sub @ np.asarray(weights, np.float32)).ravel() / ceiling
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    def save(self, directory: Path) -> None:
        """Write the index as plain `.npy` arrays and `sparse_vocab.json` (byte-identical for equal input)."""
        m = self.matrix
        for part in ("data", "indices", "indptr"):
            np.save(directory / f"sparse_{part}.npy", getattr(m, part), allow_pickle=False)
        terms_in_order = sorted(self.vocab, key=self.vocab.__getitem__)
        payload = {"terms": terms_in_order, "idf": [float(x) for x in self.idf], "shape": list(m.shape)}  # type: ignore[attr-defined]
        (directory / "sparse_vocab.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> SparseIndex:
        """Read an index written by `save`."""
        from scipy import sparse

        payload = json.loads((directory / "sparse_vocab.json").read_text(encoding="utf-8"))
        vocab = {t: i for i, t in enumerate(payload["terms"])}
        parts = [np.load(directory / f"sparse_{p}.npy", allow_pickle=False) for p in ("data", "indices", "indptr")]
        matrix = sparse.csc_matrix(tuple(parts), shape=tuple(payload["shape"]))
        return cls(vocab, np.asarray(payload["idf"], np.float32), matrix)


__all__ = ["SparseIndex", "fold_syllable", "normalize", "terms"]
