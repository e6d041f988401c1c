"""Sentence features for the intent classifier: character n-grams, pinyin n-grams, entity masks.

Character n-grams survive the missing punctuation and odd segmentation of dictated text; pinyin n-grams
(accent-folded, see `pinyin.py`) make 高龄经贴 and 保修 look like 高龄津贴 and 报修 to the classifier.
Entities other than services are masked by one symbol per kind before the n-grams are taken (周六 and
下周三 both become Ⓓ, 孙小梅 becomes Ⓝ), and the kinds found and how much of the message they cover are
features of their own: a message that is only a date or a name is an answer (`inform`), whatever the
date or name. So are the message's length and whether it ends as a question (short messages are
mostly greetings, thanks and answers).

Measured with 5-fold cross-validation on nlu_data (1,870 examples; `linli evaluate nlu --cv 5`):
intent accuracy is 91.2 % with all of this; 90.2 % without the length and question features,
89.7 % without entity masking, 88.7 % without both. Character trigrams lower it to 90.2 %. Pinyin
n-grams change nothing on the data as written (91.3 % without), but with 15 % of the characters of the
held-out folds swapped for homophones accuracy is 86.9 % without them and 89.1 % at weight 0.6.
Measured again on the development sets of `bench/data/` with 5,431 training examples: jieba words
(`words=True`) leave accuracy at 98.3 % and move confidently wrong answers from 1.7 % to 1.6 %, not
worth the 70 MB of jieba's dictionary in every parsing process, so they stay off; the sentence
embedding lowers accuracy to 96.6-95.7 % (see `embedding.py`).
Two settings' worth depends on the data, so training cross-validates them on and off and keeps the
better (`training.choose_features`): entity masking (on SMP2019, whose city names the rules read as
people's names, it lowers accuracy), and the kinds of well-known names from hand-written lists
(`gazetteer.py`: on SMP2019 they raise 5-fold CV accuracy on train + dev from 0.897 to 0.921 and its dev
split from 0.899 to 0.919, and mean nothing to our community services, where they stay off).

Weights are TF-IDF with sublinear term frequency, L2-normalised, computed here rather than by
scikit-learn so that parsing needs neither scikit-learn nor scipy.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bot.nlu.gazetteer import Gazetteer
from bot.nlu.pinyin import PinyinTable

_DIGITS = re.compile(r"\d+")
_LATIN = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class FeatureConfig:
    """Which features to use; stored with the model so that parsing computes the same ones."""

    char_min: int = 1
    char_max: int = 2
    pinyin_min: int = 1
    pinyin_max: int = 3
    pinyin_weight: float = 0.6
    words: bool = False
    word_weight: float = 0.5
    mask_entities: bool = True
    shape: bool = True
    entity_weight: float = 1.0
    min_df: int = 1
    # Kinds of well-known names found in the message (bot.nlu.gazetteer), as features of their own. Weight
    # 2 measured best on SMP2019 with the first, shorter lists (5-fold CV on train + dev, 2,067 utterances:
    # 0.5 → 0.907, 1 → 0.914, 1.5 → 0.913, 2 → 0.917, 3 → 0.909; its dev split 0.915, 0.919, 0.922, 0.928,
    # 0.922).
    gazetteer: bool = False
    gazetteer_weight: float = 2.0
    # With the name lists on, a known name also stands as one symbol in the character and pinyin n-grams:
    # 播放稻香 and 播放青花瓷 then share 放Ⓖ, and an unseen name's characters add no noise. On SMP2019
    # with the first lists (5-fold CV on train + dev) accuracy 0.917 → 0.921, macro-F1 0.721 → 0.733; its
    # dev split 0.928 both ways, macro-F1 0.842 → 0.872.
    gazetteer_mask: bool = True

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FeatureConfig:
        """Read a stored form; a switch a model predates is off, so old models parse as they were trained."""
        legacy_off = {"mask_entities": False, "shape": False}
        return cls(**{**legacy_off, **raw})


def _syllables(text: str, table: PinyinTable) -> list[str]:
    out: list[str] = []
    for m in re.finditer(r"[a-z]+|#|.", text):
        tok = m.group(0)
        if tok.isspace():
            continue
        readings = table.get(tok)
        out.append(readings[0] if readings else tok)
    return out


# One symbol per entity kind; services stay as words because which service it is tells the intent.
MASKS = {
    "date": "Ⓓ",
    "time": "Ⓣ",
    "location": "Ⓛ",
    "person_name": "Ⓝ",
    "phone": "Ⓟ",
    "ticket_id": "Ⓚ",
    "age": "Ⓐ",
    "count": "Ⓒ",
    "rating": "Ⓡ",
}
Span = tuple[str, int, int]
_MASK_SYMBOLS = frozenset(MASKS.values())


def mask(text: str, entities: Sequence[Span]) -> str:
    """The text with each non-service entity replaced by its kind's symbol."""
    out: list[str] = []
    pos = 0
    for kind, start, end in sorted(entities, key=lambda e: e[1]):
        if kind in MASKS and start >= pos:
            out.append(text[pos:start])
            out.append(MASKS[kind])
            pos = end
    out.append(text[pos:])
    return "".join(out)


# A question's last word: 能办吗, 要带什么不, 到了没有.
_QUESTION_END = ("吗", "么", "呢", "不", "没", "没有", "嘛", "啊吗")


def _length_bucket(n: int) -> str:
    return "1" if n <= 1 else "2-3" if n <= 3 else "4-6" if n <= 6 else "7-12" if n <= 12 else "13+"


def _coverage(text: str, entities: Sequence[Span]) -> str:
    """How much of the message is not an entity, counted in characters left once entities are masked.

    Counted on the masked text, not as a share of the raw text: a ticket number is thirteen characters
    but one thing said, so 查进度GD20240611008 is three words and a number (a question), not an answer.
    """
    if not any(kind in MASKS for kind, _, _ in entities):
        return "none"
    rest = sum(1 for c in mask(text, entities) if c.isalnum() and c not in _MASK_SYMBOLS)
    return "all" if rest <= 1 else "most" if rest <= 3 else "some"


def tokens(text: str, table: PinyinTable, cfg: FeatureConfig, entities: Sequence[Span] = (),
           gazetteer: Gazetteer | None = None) -> Counter[str]:
    """The feature tokens of one normalised sentence (c: characters, p: pinyin, e: entities, w: words,
    g: kinds of known names)."""
    counts: Counter[str] = Counter()
    if cfg.gazetteer and gazetteer is not None:
        found = gazetteer.find(text)
        counts.update(gazetteer.tokens(text, found))
        if cfg.gazetteer_mask:
            text, entities = gazetteer.mask(text, entities, found)
    if cfg.shape:
        counts[f"e:len={_length_bucket(len(text))}"] += 1
        counts[f"e:question={text.endswith(_QUESTION_END)}"] += 1
    if cfg.mask_entities:
        counts.update(f"e:{kind}" for kind, _, _ in entities)
        counts[f"e:cover={_coverage(text, entities)}"] += 1
        text = mask(text, entities)
    t = _DIGITS.sub("#", text)
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
                sgram = syl[i : i + n]
                if n == 1 and sgram[0] in ("^", "$"):
                    continue
                counts["p:" + " ".join(sgram)] += 1
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
        group = {"c": 1.0, "p": cfg.pinyin_weight, "w": cfg.word_weight, "e": cfg.entity_weight,
                 "g": cfg.gazetteer_weight}
        self.weights = (
            np.asarray(idf, dtype=np.float64) * np.array([group[t[0]] for t in self.vocabulary])
            if self.vocabulary
            else np.zeros(0)
        )

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
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, int),
                np.array(indptr),
            ),
            shape=(len(docs), len(self.vocabulary)),
        )
