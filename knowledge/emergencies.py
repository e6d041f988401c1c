"""Danger kinds: the words that mean danger now, what to say at once, and the numbers to call.

One data file, `knowledge/emergencies.yml`, feeds both the policy's safety net (is this message an
emergency?) and the emergency action (which number first, which guidance), so they cannot disagree.
A topic word is never enough: each kind's words need the danger in context (着火了, not 火灾保险), and
`hypothetical` / `not_now` / `unless` turn away the look-alikes (如果着火了, 防摔倒讲座, 燃气费).
Regular expressions rather than a classifier, because these must be exact, reviewable and testable
case by case; the classifier is the other half of the decision (see `bot.dialogue.policy`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from bot.errors import ConfigurationError

DEFAULT_PATH = Path(__file__).with_name("emergencies.yml")
# How far before a danger word a marker such as 如果 or 防 still makes it hypothetical (如果家里着火了).
HYPOTHETICAL_WINDOW = 6
# The speech engine keeps three sentences; the number sentence comes first, so guidance has two.
MAX_GUIDANCE_SENTENCES = 2
_SENTENCE_END = re.compile(r"[。！？!?；;]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compile_all(patterns: tuple[str, ...], where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {p!r}: {exc}") from exc
    return tuple(out)


class DangerKind(_Strict):
    """One kind of danger (or one explicit call for help), with its words, numbers and guidance."""

    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str = Field(min_length=1, description="label for staff, e.g. 火情")
    numbers: tuple[str, ...] = Field(min_length=1)
    either: bool = Field(default=False, description="the numbers are alternatives (或), not all to call")
    words: tuple[str, ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()
    guidance: str = Field(min_length=1)

    _words: tuple[re.Pattern[str], ...] = PrivateAttr(default=())
    _unless: tuple[re.Pattern[str], ...] = PrivateAttr(default=())

    @field_validator("guidance")
    @classmethod
    def _speakable(cls, value: str) -> str:
        # Folded YAML joins lines with a space, which a speech engine reads as a pause mid-phrase.
        text = re.sub(r"\s+", "", value)
        if len(_SENTENCE_END.findall(text)) > MAX_GUIDANCE_SENTENCES:
            raise ValueError(f"guidance has more than {MAX_GUIDANCE_SENTENCES} sentences: {text}")
        if not text.endswith("。"):
            raise ValueError(f"guidance must end with a full stop: {text}")
        return text

    def model_post_init(self, __context: Any) -> None:
        """Compile the patterns once."""
        self._words = _compile_all(self.words, self.id)
        self._unless = _compile_all(self.unless, self.id)

    def find(self, text: str, hypothetical: re.Pattern[str] | None) -> re.Match[str] | None:
        """The first of this kind's words that means danger now in `text`, if any."""
        if any(u.search(text) for u in self._unless):
            return None
        for pattern in self._words:
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - HYPOTHETICAL_WINDOW) : m.start()]
                if hypothetical is None or not hypothetical.search(before):
                    return m
        return None


@dataclass(frozen=True)
class Danger:
    """What a message says is happening (`kind`) and whom it asks to call (`call`); at least one is set."""

    kind: DangerKind | None
    call: DangerKind | None

    @property
    def main(self) -> DangerKind:
        """The kind that names the danger: what is happening if known, else the call."""
        found = self.kind or self.call
        assert found is not None
        return found

    @property
    def numbers(self) -> tuple[str, ...]:
        """Numbers to say, the one the resident asked for first (叫救护车 puts 120 first)."""
        ordered = [*(self.call.numbers if self.call else ()), *(self.kind.numbers if self.kind else ())]
        return tuple(dict.fromkeys(ordered))

    @property
    def either(self) -> bool:
        """Whether the numbers are alternatives (only for the general call for help)."""
        return self.call is None and self.kind is not None and self.kind.either

    @property
    def guidance(self) -> str:
        """What to do now: the danger's guidance, or how to make the call."""
        return self.main.guidance


class Emergencies(_Strict):
    """The whole data file."""

    version: int = 1
    numbers: dict[str, str] = Field(min_length=1, description="number → what it is, e.g. 120: 急救电话")
    hypothetical: tuple[str, ...] = ()
    not_now: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    vague_places: tuple[str, ...] = ()
    fallback: str
    kinds: tuple[DangerKind, ...] = Field(min_length=1)
    calls: tuple[DangerKind, ...] = ()

    _hypothetical: re.Pattern[str] | None = PrivateAttr(default=None)
    _not_now: tuple[re.Pattern[str], ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _consistent(self) -> Emergencies:
        ids = [k.id for k in (*self.kinds, *self.calls)]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"kind ids must be unique: {', '.join(dupes)}")
        if self.fallback not in {k.id for k in self.kinds}:
            raise ValueError(f"fallback {self.fallback!r} is not a kind")
        unknown = sorted({n for k in (*self.kinds, *self.calls) for n in k.numbers} - set(self.numbers))
        if unknown:
            raise ValueError(f"numbers without a label: {', '.join(unknown)}")
        return self

    def model_post_init(self, __context: Any) -> None:
        """Compile the shared patterns once."""
        if self.hypothetical:
            self._hypothetical = re.compile("|".join(map(re.escape, self.hypothetical)))
        self._not_now = _compile_all(self.not_now, "not_now")

    def is_topic(self, text: str) -> bool:
        """Whether the message talks about danger as a topic (a course, an insurance) rather than now."""
        return any(p.search(text) for p in self._not_now)

    def match(self, text: str) -> Danger | None:
        """The danger a message reports or the help it calls for; None when it does neither."""
        if not text or text.startswith("/") or self.is_topic(text):
            return None
        kind = next((k for k in self.kinds if k.find(text, self._hypothetical)), None)
        call = next((c for c in self.calls if c.find(text, self._hypothetical)), None)
        if kind is None and call is None:
            return None
        return Danger(kind=kind, call=call)

    def general(self) -> Danger:
        """The danger to answer when the resident is in danger but said nothing more specific."""
        return Danger(kind=self.kind(self.fallback), call=None)

    def known(self, kind_id: str | None) -> Danger | None:
        """The danger already reported under this id (a kind, or a call such as call_ambulance)."""
        kind = next((k for k in self.kinds if k.id == kind_id), None)
        call = next((c for c in self.calls if c.id == kind_id), None)
        return Danger(kind=kind, call=None) if kind else Danger(kind=None, call=call) if call else None

    def kind(self, kind_id: str | None) -> DangerKind | None:
        """A kind or call by id."""
        return next((k for k in (*self.kinds, *self.calls) if k.id == kind_id), None)

    def is_follow_up(self, text: str) -> bool:
        """Whether a message hurries an emergency already under way along (快点, 救护车怎么还没到)."""
        return any(word in text for word in self.follow_ups)

    def is_vague_place(self, place: str) -> bool:
        """Whether a place says where in a building but not which one (楼道, 电梯, 家里)."""
        return place.strip() in self.vague_places


def load_emergencies(path: Path = DEFAULT_PATH) -> Emergencies:
    """Read and check the data file; cached per path, so the policy and the action share one copy."""
    return _load(Path(path).resolve())


@lru_cache(maxsize=8)
def _load(path: Path) -> Emergencies:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Emergencies.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"cannot load emergencies from {path}: {exc}") from exc


__all__ = ["DEFAULT_PATH", "Danger", "DangerKind", "Emergencies", "load_emergencies"]
