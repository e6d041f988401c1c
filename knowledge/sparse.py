"""Sparse retrieval: BM25 over character n-grams and accent-folded pinyin n-grams.

Characters catch exact wording; toneless pinyin, with the initials and finals that southern accents and
speech-to-text confuse folded together (the one confusion table of `bot.text.fold_syllable`), catches
homophone slips: 高龄经贴 and 高龄津贴 share every pinyin bigram. Scores are normalised by the most the
query could score, so they lie in [0, 1] and say how much of the query a passage covers.

`NameIndex` is the other lexical signal: whether a question names a service by its name or an alias,
exactly or by sound.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Container, Mapping, Sequence
from pathlib import Path

import numpy as np

from bot.text import CJK, fold_syllable, fold_width_case

_CJK_RUN_RE = re.compile(f"[{CJK}]+")
_WORD_RE = re.compile(r"[0-9]+|[a-z]+")
# Pinyin terms count a little less than characters: a shared sound is weaker evidence than a shared glyph.
PINYIN_WEIGHT = 0.7
K1 = 1.2
B = 0.75


class Readings:
    """Each Chinese character's folded toneless reading (its most common one), as one table.

    Characters are read one at a time, not by phrase, so a query and a passage always read a character
    the same way; on the development questions this matched phrase-aware readings and is 5x faster.
    The table is made from pypinyin when an index is built and saved with it (`readings.json`, the
    unfolded syllables), so serving reads a 30k-entry dict instead of importing pypinyin (~55 MB per
    process). A character the table does not hold stands for itself, so it only ever matches itself.
    """

    FILE = "readings.json"

    def __init__(self, syllables: Mapping[str, str]) -> None:
        self.syllables = dict(syllables)
        self._folded = {c: fold_syllable(s) for c, s in self.syllables.items()}

    def __call__(self, char: str) -> str:
        return self._folded.get(char, char)

    @classmethod
    def from_pypinyin(cls) -> Readings:
        """Read every character of the CJK blocks the index uses with pypinyin (needed only to build)."""
        from pypinyin import Style, lazy_pinyin
        from pypinyin.pinyin_dict import pinyin_dict

        table: dict[str, str] = {}
        for code in sorted(pinyin_dict):
            char = chr(code)
            if _CJK_RUN_RE.fullmatch(char):
                syllable = lazy_pinyin(char, style=Style.NORMAL, errors="default")[0]
                if syllable != char:
                    table[char] = syllable
        return cls(table)

    def save(self, directory: Path) -> None:
        """Write the unfolded table; folding is applied on load, so it always matches `fold_syllable`."""
        (directory / self.FILE).write_text(
            json.dumps(dict(sorted(self.syllables.items())), ensure_ascii=False, separators=(",", ":")),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> Readings:
        """Read a table written by `save`."""
        return cls(json.loads((directory / cls.FILE).read_text(encoding="utf-8")))


def terms(text: str, reading: Readings) -> Counter[str]:
    """Weighted-by-count terms of a text: CJK characters and bigrams, digit/latin words, pinyin bigrams."""
    t = fold_width_case(text)
    out: Counter[str] = Counter(_WORD_RE.findall(t))
    for run in _CJK_RUN_RE.findall(t):
        out.update(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
        sounds = [reading(c) for c in run]
        out.update(f"~{a}_{b}" for a, b in zip(sounds, sounds[1:], strict=False))
        if len(run) == 1:
            out[f"~{sounds[0]}"] += 1
    return out


def _term_weight(term: str) -> float:
    """Pinyin terms (prefixed `~`) weigh less than character terms."""
    return PINYIN_WEIGHT if term.startswith("~") else 1.0


class SparseIndex:
    """BM25 over a fixed list of documents, with scores normalised to [0, 1]."""

    def __init__(self, vocab: dict[str, int], idf: np.ndarray, matrix: object, readings: Readings) -> None:
        self.readings = readings
        self.vocab = vocab
        self.idf = idf
        self.matrix = matrix  # scipy CSC, documents x terms, holding BM25 term scores
        self._unseen_idf = float(idf.max()) if len(idf) else 0.0

    @property
    def size(self) -> int:
        """How many documents the index holds."""
        return int(self.matrix.shape[0])  # type: ignore[attr-defined]

    @classmethod
    def build(cls, texts: Sequence[str], readings: Readings) -> SparseIndex:
        """Index `texts` (document i is texts[i])."""
        from scipy import sparse

        docs = [terms(t, readings) for t in texts]
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
        return cls(vocab, idf, matrix, readings)

    def scores(self, query: str) -> np.ndarray:
        """Every document's score for `query`, in [0, 1]: the share of the query's BM25 ceiling it reaches.

        Query terms the catalog never uses count towards the ceiling at the rarest seen term's weight,
        so gibberish and other topics score low instead of matching on one common character.
        """
        q = terms(query, self.readings)
        out: np.ndarray = np.zeros(self.size, dtype=np.float32)
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
    def load(cls, directory: Path, readings: Readings) -> SparseIndex:
        """Read an index written by `save`."""
        from scipy import sparse

        payload = json.loads((directory / "sparse_vocab.json").read_text(encoding="utf-8"))
        vocab = {t: i for i, t in enumerate(payload["terms"])}
        parts = [np.load(directory / f"sparse_{p}.npy", allow_pickle=False) for p in ("data", "indices", "indptr")]
        matrix = sparse.csc_matrix(tuple(parts), shape=tuple(payload["shape"]))
        return cls(vocab, np.asarray(payload["idf"], np.float32), matrix, readings)


def _all_cjk(text: str) -> bool:
    return bool(text) and all(_CJK_RUN_RE.fullmatch(c) for c in text)


def _syllables(text: str, reading: Readings) -> tuple[str, list[int]]:
    """`|syl|syl|` for the Chinese characters of `text`, and each syllable's character position."""
    syls: list[str] = []
    where: list[int] = []
    for m in _CJK_RUN_RE.finditer(text):
        syls.extend(reading(c) for c in m.group(0))
        where.extend(range(m.start(), m.end()))
    return ("|" + "|".join(syls) + "|" if syls else ""), where


# Action words around a service name: 高龄津贴申领 is asked for as 高龄津贴, 办居住证 as 居住证.
_NAME_SUFFIX_RE = re.compile(r"(申领与补换|办理指引|申请|申领|办理|指引|服务|预约|查询)$")
_NAME_PREFIX_RE = re.compile(r"^(申请|补办|办理|办|开|找|交|领|申领)(?=..)")
EXACT, FUZZY, FUZZY_SHORT = 1.0, 0.8, 0.5


def name_keys(name: str, aliases: Sequence[str]) -> list[str]:
    """The ways a resident names a service: its name, aliases, and both without action words."""
    keys: list[str] = []
    for k in (name, *aliases):
        k = fold_width_case(k)
        keys.extend((k, _NAME_SUFFIX_RE.sub("", k), _NAME_PREFIX_RE.sub("", k)))
    return [k for k in dict.fromkeys(keys) if len(k) >= 2]


class NameIndex:
    """Which services a query names, by name or alias, exactly or by sound (accent-folded pinyin).

    Where names overlap (低保 inside 低保边缘), only the longest named span counts, as a reader would.
    A mention scores 1.0 when exact, 0.8 as a homophone of three or more syllables and 0.5 as a
    two-syllable homophone (足浴 is not 助浴), divided by the square root of the number of services
    whose names contain the key: 医保 is part of many names and says less than 长护险.
    """

    def __init__(self, keys: Sequence[tuple[str, int, float]], readings: Readings) -> None:
        # A key with digits or Latin letters (打12315, HPV疫苗) is matched only as written: its sound
        # would be that of its Chinese part alone, and 打 or 疫苗 names no service.
        self.readings = readings
        self.keys = [(k, sid, weight, _syllables(k, readings)[0] if _all_cjk(k) else "") for k, sid, weight in keys]

    @classmethod
    def build(cls, keys_per_service: Sequence[Sequence[str]], readings: Readings) -> NameIndex:
        """Index the name keys of each service, service i being keys_per_service[i]."""
        rows = [(k, i) for i, keys in enumerate(keys_per_service) for k in keys]
        owners: dict[str, set[int]] = {}
        for k, _ in rows:
            owners[k] = {i for i, keys in enumerate(keys_per_service) if any(k in other for other in keys)}
        return cls([(k, i, round(1.0 / math.sqrt(len(owners[k])), 4)) for k, i in rows], readings)

    def scores(self, query: str, n_services: int, known: Container[str] = ()) -> np.ndarray:
        """Each service's name-mention score for `query`, in [0, 1].

        A two-character span that is `known` (the catalog uses it) is a word of its own, not a slip:
        补贴 is not a mishearing of a two-syllable name that sounds like it.
        """
        q = fold_width_case(query)
        qf, where = _syllables(q, self.readings)
        found: list[tuple[int, int, int, float]] = []  # character span in q, service, score
        for key, sid, weight, kf in self.keys:
            at = q.find(key)
            if at >= 0:
                found.append((at, at + len(key), sid, EXACT * weight))
            elif kf and kf in qf:
                first = qf[: qf.find(kf)].count("|")
                n = kf.count("|") - 1
                start, end = where[first], where[first + n - 1] + 1
                if n == 2 and q[start:end] in known:
                    continue  # a two-character word of its own that only sounds like the name
                found.append((start, end, sid, (FUZZY if n >= 3 else FUZZY_SHORT) * weight))
        out = np.zeros(n_services, dtype=np.float32)
        for start, end, sid, score in found:
            inside = any(o != sid and s <= start and end <= e and e - s > end - start for s, e, o, _ in found)
            if not inside:
                out[sid] = max(out[sid], score)
        return out

    def to_json(self) -> list[list[object]]:
        """The keys as `[key, service index, weight]` rows."""
        return [[k, sid, weight] for k, sid, weight, _ in self.keys]

    @classmethod
    def from_json(cls, rows: Sequence[Sequence[object]], readings: Readings) -> NameIndex:
        """Read keys written by `to_json`."""
        return cls([(str(r[0]), int(str(r[1])), float(str(r[2]))) for r in rows], readings)


__all__ = ["NameIndex", "SparseIndex", "name_keys", "terms"]
