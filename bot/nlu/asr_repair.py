"""Repair speech-to-text homophone slips against the domain lexicon: 高龄经贴 → 高龄津贴, 社宝卡 → 社保卡.

A window of the message is replaced by a lexicon word when, syllable by syllable, it can be read the same
way (accent confusions folded, tones ignored) and shares enough characters with it. Text that already is a
lexicon word, or a common word that merely sounds like one (取笑 is not 取消, 足浴 is not 助浴), is never
touched. Replacements have the same length as what they replace, so offsets stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.nlu.mapped_text import MappedText
from bot.nlu.pinyin import PinyinTable
from bot.text import is_cjk

MIN_LEN, MAX_LEN = 2, 10


def required_shared(length: int) -> int:
    """How many characters a window must share with a word to be a slip of it rather than another word."""
    return length - 1 if length <= 3 else (length + 1) // 2


@dataclass
class AsrLexicon:
    """Lexicon words with their fuzzy syllables, and the everyday words that must be left alone."""

    words: dict[str, tuple[str, ...]]
    # Everyday words that sound like a lexicon word (取笑, 足浴): never corrected.
    protected: frozenset[str] = frozenset()
    # Frequent everyday words: a repair may not cut through one (每年什么 is not 每年审么).
    common: frozenset[str] = frozenset()
    _by_first: dict[str, list[tuple[int, list[str]]]] = field(default_factory=dict, repr=False)
    _known: frozenset[str] = field(default_factory=frozenset, repr=False)
    _known_lengths: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        grouped: dict[str, dict[int, list[str]]] = {}
        for w in sorted(self.words):
            syl = self.words[w]
            if len(syl) == len(w):
                grouped.setdefault(syl[0], {}).setdefault(len(w), []).append(w)
        self._by_first = {f: sorted(by_len.items(), reverse=True) for f, by_len in grouped.items()}
        self._known = frozenset(self.words) | self.protected | self.common
        self._known_lengths = sorted({len(w) for w in self._known}, reverse=True)

    def is_known(self, window: str) -> bool:
        """True for a lexicon word, a protected sound-alike or a frequent everyday word."""
        return window in self._known

    def by_first(self, first: str) -> list[tuple[int, list[str]]]:
        """(length, words) of lexicon words starting with syllable `first`, longest first."""
        return self._by_first.get(first, [])

    @property
    def known_lengths(self) -> list[int]:
        """Lengths of every known word (lexicon, protected, common), longest first."""
        return self._known_lengths

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form, stored with the model."""
        return {
            "words": {w: list(s) for w, s in sorted(self.words.items())},
            "protected": sorted(self.protected),
            "common": sorted(self.common),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> AsrLexicon:
        """Read the stored form back."""
        words = raw.get("words", {})
        protected = raw.get("protected", [])
        common = raw.get("common", [])
        assert isinstance(words, dict) and isinstance(protected, list) and isinstance(common, list)
        return cls(
            {str(w): tuple(s) for w, s in words.items()},
            frozenset(str(p) for p in protected),
            frozenset(str(c) for c in common),
        )


def build_lexicon(
    terms: Iterable[str],
    common_words: Iterable[str] = (),
    frequent_words: Iterable[str] = (),
    *,
    table: PinyinTable | None = None,
) -> AsrLexicon:
    """A lexicon from domain terms (Chinese only, 2–10 characters) and the everyday words it must respect.

    `common_words` that sound like a lexicon word are kept as protected; `frequent_words` (2–4
    characters) are kept whole, as spans a repair may not cut through.
    """
    from bot.nlu.pinyin import build_table, word_syllables

    words: dict[str, tuple[str, ...]] = {}
    for t in terms:
        if MIN_LEN <= len(t) <= MAX_LEN and all(is_cjk(c) for c in t):
            words[t] = word_syllables(t)
    lexicon = AsrLexicon(words)
    # A common word that a lexicon word could be "repaired" from is protected: it means itself.
    table = table if table is not None else build_table()
    protected = set()
    for w in common_words:
        if w in words or not (MIN_LEN <= len(w) <= MAX_LEN) or not all(is_cjk(c) for c in w):
            continue
        if any(length == len(w) for length, _ in _best_match(w, [table.get(c, ()) for c in w], 0, len(w), lexicon)):
            protected.add(w)
    frequent = frozenset(
        w for w in frequent_words if 2 <= len(w) <= 4 and all(is_cjk(c) for c in w) and w not in words
    )
    return AsrLexicon(words, frozenset(protected), frequent)


def _best_match(
    text: str, readings: list[tuple[str, ...]], i: int, run_end: int, lexicon: AsrLexicon
) -> list[tuple[int, str]]:
    """(length, word) for each length at which text[i:] is a slip of exactly one lexicon word."""
    best: dict[int, list[tuple[int, str]]] = {}
    for first in readings[i]:
        for length, words in lexicon.by_first(first):
            if i + length > run_end:
                continue
            window = text[i : i + length]
            need = required_shared(length)
            for word in words:
                syl = lexicon.words[word]
                if any(syl[j] not in readings[i + j] for j in range(1, length)):
                    continue
                shared = sum(a == b for a, b in zip(word, window, strict=True))
                if need <= shared < length:
                    best.setdefault(length, []).append((shared, word))
    out = []
    for length, cands in best.items():
        cands = sorted(set(cands), key=lambda sw: (-sw[0], sw[1]))
        # Two different words equally close: ambiguous, leave the text alone.
        if len(cands) > 1 and cands[1][0] == cands[0][0]:
            continue
        out.append((length, cands[0][1]))
    return out


def _clashes(word: str, text: str, i: int, end: int, known: list[tuple[int, int]]) -> bool:
    """True if replacing text[i:end] by `word` would cut through or change a known word."""
    for s, e in known:
        if s < end and i < e:
            if not (i <= s and e <= end):
                return True
            if any(word[k - i] != text[k] for k in range(s, e)):
                return True
    return False


class AsrRepairer:
    """Applies an `AsrLexicon` to normalised text; stateless after construction, so thread-safe."""

    def __init__(self, lexicon: AsrLexicon, table: PinyinTable) -> None:
        self.lexicon = lexicon
        self.table = table

    def repair(self, mt: MappedText) -> MappedText:
        """The text with homophone slips of lexicon words replaced (same length, offsets kept)."""
        if len(mt.text) < MIN_LEN or not self.lexicon.words:
            return mt
        # One pass can turn a neighbour into a lexicon word; repeat until nothing changes.
        for _ in range(3):
            nxt = self._pass(mt)
            if nxt.text == mt.text:
                return nxt
            mt = nxt
        return mt

    def _pass(self, mt: MappedText) -> MappedText:
        text = mt.text
        n = len(text)
        readings = [self.table.get(c, ()) for c in text]
        # run_end[i]: where the run of Chinese characters containing i ends (i itself if it is not one).
        run_end = [0] * n
        end = n
        for i in range(n - 1, -1, -1):
            if not readings[i]:
                end = i
            run_end[i] = end
        # Known words (lexicon, protected, frequent) are right as they are: a repair may contain one
        # without changing it (居主证明 → 居住证明), but may not cut through one (的保洁 is not 低保洁).
        known: list[tuple[int, int]] = []
        for length in self.lexicon.known_lengths:
            for i in range(n - length + 1):
                if i + length <= run_end[i] and self.lexicon.is_known(text[i : i + length]):
                    known.append((i, i + length))
        found: list[tuple[int, int, str]] = []
        for i in range(n):
            if readings[i]:
                for length, word in _best_match(text, readings, i, run_end[i], self.lexicon):
                    if not _clashes(word, text, i, i + length, known):
                        found.append((-length, i, word))
        fixed = [False] * n  # inside an accepted repair
        changed = [False] * n  # a character an accepted repair replaces
        edits: list[tuple[int, int, str]] = []
        for neg_len, i, word in sorted(found):
            end = i - neg_len
            diff = [i + k for k in range(end - i) if word[k] != text[i + k]]
            if any(fixed[k] for k in diff) or any(changed[i:end]):
                continue
            fixed[i:end] = [True] * (end - i)
            for k in diff:
                changed[k] = True
            edits.append((i, end, word))
        return mt.edit(edits)
