"""The shape of a conversation test file (`tests/conversations/*.yml`), validated on load.

Modelled on Rasa test stories, but for whole conversations as residents hold them: user turns (typed,
voice-to-text or village style), what must follow each turn, and the records that must exist at the
end. Dates are written relative to the day the suite runs on (`+1` is tomorrow), so the same file is
checked on a Friday, a weekend and a public holiday.

```yaml
conversations:
  - name: 洗澡说成口语也能约上助浴
    category: booking            # a task family, for the report
    persona: elderly_voice       # typed | elderly_voice | rural
    steps:
      - user: 帮我约个明天早上的洗澡的
        expect: {slots: {service: bathing-assistance}, not_contains: ["哪项服务"]}
      - choose: 1                # the first offered choice (by number, as a resident on a phone line would)
      - press: 确认              # a button whose title contains the text
    records:
      bookings: [{service: bathing-assistance, date: +1, people: 1}]
```
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ConfigurationError

Persona = Literal["typed", "elderly_voice", "rural"]
# Where each persona speaks from unless a conversation says otherwise.
PERSONA_CHANNEL = {"typed": "web", "elderly_voice": "voice", "rural": "web"}
PERSONA_COMMUNITY = {"typed": None, "elderly_voice": None, "rural": "qinghe-village"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class Expect(_Strict):
    """What must hold after one turn; every field is optional."""

    intent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    contains: list[str] = Field(default_factory=list)       # every text appears in the turn's replies
    any_of: list[str] = Field(default_factory=list)         # at least one text appears
    not_contains: list[str] = Field(default_factory=list)   # none of these appears
    buttons: list[str] = Field(default_factory=list)        # button titles containing these texts
    no_buttons: bool = False
    form: str | None = None                                 # the active form after the turn ("none" = no form)
    requested: str | None = None                            # the slot asked for next ("none" = nothing)
    handoff: bool | None = None
    speech_contains: list[str] = Field(default_factory=list)

    _lists = field_validator("contains", "any_of", "not_contains", "buttons", "speech_contains",
                             mode="before")(_as_list)


class StaffStep(_Strict):
    """Something staff do between the resident's turns."""

    work_order: Literal["accept", "close", "reject"] | None = None
    booking: Literal["served", "no_show"] | None = None
    reply: str | None = None
    release: bool = False


class Step(_Strict):
    """One step: the resident says or chooses something, staff act, or time passes."""

    user: str | None = None
    press: str | None = None          # a button whose title contains this text
    choose: int | None = None         # the n-th offered choice (1-based)
    metadata: dict[str, Any] = Field(default_factory=dict)
    staff: StaffStep | None = None
    advance: str | None = None        # "2h", "1d", "30m"
    expect: Expect = Field(default_factory=Expect)

    @field_validator("user", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """`user: 1` in YAML is the number one; the resident typed the text "1"."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("user", "press", "choose", "staff", "advance") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step does exactly one of user/press/choose/staff/advance, not {kinds or 'none'}")
        return self

    @property
    def is_turn(self) -> bool:
        """Whether the step sends the resident's message."""
        return self.user is not None or self.press is not None or self.choose is not None


class Records(_Strict):
    """Records that must exist at the end, each list complete (an empty list means none at all)."""

    bookings: list[dict[str, Any]] | None = None
    work_orders: list[dict[str, Any]] | None = None
    ratings: list[dict[str, Any]] | None = None
    escalations: list[dict[str, Any]] | None = None
    volunteers: list[dict[str, Any]] | None = None


class Conversation(_Strict):
    """One conversation test."""

    name: str
    category: str
    persona: Persona
    channel: str | None = None
    community: str | None = None
    elderly: bool | None = None
    now: dt.datetime | None = None    # pins the clock; otherwise the suite's dates are used
    time: str | None = None           # local time of day on the suite's dates, "HH:MM"
    steps: list[Step]
    records: Records = Field(default_factory=Records)
    source: str = ""

    @property
    def resolved_channel(self) -> str:
        """The channel the resident writes from."""
        return self.channel or PERSONA_CHANNEL[self.persona]

    @property
    def resolved_community(self) -> str | None:
        """The community the resident belongs to (None for the default)."""
        return self.community or PERSONA_COMMUNITY[self.persona]


class _File(_Strict):
    conversations: list[Conversation]


def load_conversations(paths: list[Path]) -> list[Conversation]:
    """Every conversation in the files or folders given, with its source file noted."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.yml")) if path.is_dir() else [path])
    out: list[Conversation] = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            parsed = _File.model_validate(data)
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigurationError(f"{file}: {exc}") from exc
        for conv in parsed.conversations:
            conv.source = file.name
            out.append(conv)
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigurationError(f"conversation names must be unique: {', '.join(dupes)}")
    return out


def parse_duration(text: str) -> dt.timedelta:
    """'2h', '1d', '30m' as a time span."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    text = text.strip()
    if not text or text[-1] not in units or not text[:-1].isdigit():
        raise ConfigurationError(f"a duration is a number and m/h/d, not {text!r}")
    return dt.timedelta(**{units[text[-1]]: int(text[:-1])})
