"""Lists of well-known names by kind (apps, TV channels, songs, places, dishes…), as intent features.

An intent classifier trained on a few thousand sentences has seen few names: 打开金山词霸 and 播放稻香 are
the same shape, and only knowing that 金山词霸 is an app and 稻香 a song tells them apart. The lists in
`bot/nlu/gazetteer/*.txt` are that knowledge, written by hand from general knowledge (like Rasa lookup
tables, one file per kind). A message gets a feature per kind of name it contains (`g:app`), and one more
when the name is nearly the whole message (`g:app=all`: a message that is only a name). Whether they help
depends on the data (names of apps and songs mean nothing to our community services), so training
cross-validates them on and off (`bot.nlu.training.feature_candidates`).

Matching is greedy longest-first from left to right over the normalised text, the names normalised the
same way; a model stores the lists it was trained with, so parsing never depends on the files changing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.nlu.normalize import normalize_text
from bot.text import is_latin_alnum

DEFAULT_DIR = Path(__file__).resolve().parent / "gazetteer"
Span = tuple[str, int, int]  # (entity kind, start, end), as in bot.nlu.features
SYMBOL = "Ⓖ"  # a known name in the n-grams, whatever its kind (the kind is a feature of its own)
MIN_CHARS = 2
# A message is "only the name" when at most this many other characters are left (打开, 播放, 的).
ALL_SLACK = 2


def _whole(text: str, start: int, end: int) -> bool:
    """A Latin name (ps, tim, uc) is a word of its own, not letters inside a longer one (apps, time)."""
    return not (
        (start > 0 and is_latin_alnum(text[start]) and is_latin_alnum(text[start - 1]))
        or (end < len(text) and is_latin_alnum(text[end - 1]) and is_latin_alnum(text[end]))
    )


class Gazetteer:
    """Normalised names → the kinds they belong to."""

    def __init__(self, names: Mapping[str, tuple[str, ...]]) -> None:
        self.names = dict(names)
        self.max_len = max((len(n) for n in self.names), default=0)

    @classmethod
    def load_dir(cls, folder: Path = DEFAULT_DIR) -> Gazetteer:
        """Every `<kind>.txt` of a folder: one name a line, `#` lines are comments."""
        names: dict[str, set[str]] = {}
        for path in sorted(Path(folder).glob("*.txt")):
            kind = path.stem
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                name = normalize_text(line.strip()).replace(" ", "")
                if len(name) >= MIN_CHARS and not name.isdigit():  # 163 or 007 would match inside numbers
                    names.setdefault(name, set()).add(kind)
        return cls({n: tuple(sorted(k)) for n, k in names.items()})

    def to_json(self) -> dict[str, str]:
        """A JSON-ready form (kinds joined by `|`)."""
        return {n: "|".join(k) for n, k in sorted(self.names.items())}

    @classmethod
    def from_json(cls, raw: Mapping[str, str]) -> Gazetteer:
        """Read a stored form."""
        return cls({n: tuple(k.split("|")) for n, k in raw.items()})

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(kind, start, end) of each name in the text: longest first, left to right, no overlaps."""
        out: list[tuple[str, int, int]] = []
        i, n = 0, len(text)
        while i < n:
            for length in range(min(self.max_len, n - i), MIN_CHARS - 1, -1):
                kinds = self.names.get(text[i : i + length])
                if kinds and _whole(text, i, i + length):
                    out += [(kind, i, i + length) for kind in kinds]
                    i += length
                    break
            else:
                i += 1
        return out

    def mask(self, text: str, entities: Sequence[Span] = (),
             found: Sequence[tuple[str, int, int]] | None = None) -> tuple[str, list[Span]]:
        """The text with each known name replaced by `SYMBOL`, and the entity spans moved to match.

        A name wins over an entity span it overlaps: the entity rules read many names as something else
        (SMP2019's 金华 and 长沙 as people), the lists know what they are.
        """
        names = sorted({(s, e) for _, s, e in (self.find(text) if found is None else found)})
        if not names:
            return text, list(entities)
        out: list[str] = []
        pos = 0
        for start, end in names:
            out += [text[pos:start], SYMBOL]
            pos = end
        out.append(text[pos:])

        def moved(i: int) -> int:
            return i - sum(e - s - len(SYMBOL) for s, e in names if e <= i)

        kept = [(kind, moved(s), moved(e)) for kind, s, e in entities
                if not any(s < ne and ns < e for ns, ne in names)]
        return "".join(out), kept

    def tokens(self, text: str, found: Sequence[tuple[str, int, int]] | None = None) -> list[str]:
        """The feature tokens of a normalised message: each kind found, and `=all` when it is nearly all.

        `found` is `find(text)` when the caller has it already (it masks the same names next).
        """
        found = self.find(text) if found is None else found
        covered = sum(end - start for start, end in {(s, e) for _, s, e in found})
        rest = len(text.replace(" ", "")) - covered
        out = [f"g:{kind}" for kind, _, _ in found]
        if found and rest <= ALL_SLACK:
            out += [f"g:{kind}=all" for kind in {k for k, _, _ in found}]
        return out
