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

MIN_LEN, MAX_LEN = 2, 10


def required_shared(length: int) -> int:
    """How many characters a window must share with a word to be a slip of it rather than another word."""
    return length - 1 if length <= 3 else (length + 1) // 2


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@dataclass
class AsrLexicon:
    """Lexicon words with their fuzzy syllables, and the common words that must never be corrected."""

    words: dict[str, tuple[str, ...]]
    protected: frozenset[str] = frozenset()
    _index: dict[tuple[str, int], list[str]] = field(default_factory=dict, repr=False)
    _lengths: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for w in sorted(self.words):
            syl = self.words[w]
            if len(syl) == len(w):
                self._index.setdefault((syl[0], len(w)), []).append(w)
        self._lengths = sorted({len(w) for w in self.words} | {len(p) for p in self.protected}, reverse=True)

    def is_known(self, window: str) -> bool:
        """True for a lexicon word or a protected common word."""
        return window in self.words or window in self.protected

    def candidates(self, first: str, length: int) -> list[str]:
        """Lexicon words of this length whose first syllable is `first`."""
        return self._index.get((first, length), [])

    @property
    def lengths(self) -> list[int]:
        """Word lengths present, longest first."""
        return self._lengths

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form, stored with the model."""
        return {"words": {w: list(s) for w, s in sorted(self.words.items())}, "protected": sorted(self.protected)}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> AsrLexicon:
        """Read the stored form back."""
        words = raw.get("words", {})
        protected = raw.get("protected", [])
        assert isinstance(words, dict) and isinstance(protected, list)
        return cls({str(w): tuple(s) for w, s in words.items()}, frozenset(str(p) for p in protected))


def build_lexicon(terms: Iterable[str], common_words: Iterable[str] = ()) -> AsrLexicon:
    """A lexicon from domain terms (Chinese only, 2–10 characters) and the common words it must respect."""
    from bot.nlu.pinyin import build_table, word_syllables

    words: dict[str, tuple[str, ...]] = {}
    for t in terms:
        if MIN_LEN <= len(t) <= MAX_LEN and all(_is_cjk(c) for c in t):
            words[t] = word_syllables(t)
    lexicon = AsrLexicon(words)
    # A common word that a lexicon word could be "repaired" from is protected: it means itself.
    table = build_table()
    protected = set()
    for w in common_words:
        if w in words or not (MIN_LEN <= len(w) <= MAX_LEN) or not all(_is_cjk(c) for c in w):
            continue
        if _best_match(w, [table.get(c, ()) for c in w], 0, len(w), lexicon):
            protected.add(w)
    return AsrLexicon(words, frozenset(protected))


def _best_match(
    text: str, readings: list[tuple[str, ...]], i: int, length: int, lexicon: AsrLexicon
) -> str | None:
    """The lexicon word the window text[i:i+length] is a slip of, or None (also when it is ambiguous)."""
    window = text[i : i + length]
    best: list[tuple[int, str]] = []
    for first in readings[i]:
        for word in lexicon.candidates(first, length):
            syl = lexicon.words[word]
            if any(syl[j] not in readings[i + j] for j in range(1, length)):
                continue
            shared = sum(a == b for a, b in zip(word, window, strict=True))
            if shared >= required_shared(length) and shared < length:
                best.append((shared, word))
    if not best:
        return None
    best.sort(key=lambda sw: (-sw[0], sw[1]))
    if len(best) > 1 and best[1][0] == best[0][0] and best[1][1] != best[0][1]:
        return None
    return best[0][1]


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
        # Characters inside an exact lexicon or protected word are right as they are.
        exact = [False] * n
        for length in self.lexicon.lengths:
            for i in range(n - length + 1):
                if self.lexicon.is_known(text[i : i + length]):
                    exact[i : i + length] = [True] * length
        found: list[tuple[int, int, str]] = []
        for i in range(n):
            if not readings[i]:
                continue
            for length in self.lexicon.lengths:
                if i + length > n or not all(readings[i + j] for j in range(length)):
                    continue
                word = _best_match(text, readings, i, length, self.lexicon)
                if word and not any(exact[i + k] for k in range(length) if word[k] != text[i + k]):
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
