"""The dialogue domain (`nlu_data/domain.yml`): responses, forms, slots and actions.

The same file is valid for a Rasa 3.6 server; here it is read once at start-up and its responses
are rendered into replies with slot values filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigurationError

# Only `{name}` placeholders are filled, so JSON braces in payloads pass through untouched.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Button:
    """A quick reply: what the resident sees and what choosing it sends."""

    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        """The REST shape of a button."""
        return {"title": self.title, "payload": self.payload}


@dataclass
class Reply:
    """One assistant message to the resident."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    speech: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The REST shape of a reply."""
        out: dict[str, Any] = {"text": self.text, "buttons": [b.as_dict() for b in self.buttons]}
        if self.speech is not None:
            out["speech"] = self.speech
        return out


@dataclass(frozen=True)
class FormSpec:
    """A form: the slots it fills, in order."""

    name: str
    required_slots: tuple[str, ...]

    @property
    def validate_action(self) -> str:
        """The name of the form's validation action."""
        return f"validate_{self.name}"

    @property
    def submit_action(self) -> str:
        """The action run once the resident confirms."""
        return "action_submit_" + self.name.removesuffix("_form")


@dataclass(frozen=True)
class Domain:
    """The parsed domain file."""

    raw: dict[str, Any]
    responses: dict[str, list[dict[str, Any]]]
    forms: dict[str, FormSpec]
    slot_names: tuple[str, ...]
    actions: tuple[str, ...]
    # Which intent starts which form (Rasa rules in `rules.yml` or `nlu/*.yml` beside the domain file).
    form_intents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Domain:
        """Read and check the domain file, with the response files in `responses/` beside it.

        Resident-facing wording lives in those files, one per family of actions, so that people who do
        not read Python review it; each is a Rasa domain fragment, and a name defined twice is an error.
        """
        raw = _read_yaml(Path(path))
        responses = dict(raw.get("responses") or {})
        folder = Path(path).parent / "responses"
        for file in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
            for name, variants in (_read_yaml(file).get("responses") or {}).items():
                if name in responses:
                    raise ConfigurationError(f"response {name} is defined twice (again in {file.name})")
                responses[name] = variants
        raw = {**raw, "responses": responses}
        slots = raw.get("slots") or {}
        forms = {
            name: FormSpec(name, tuple(spec.get("required_slots", [])))
            for name, spec in (raw.get("forms") or {}).items()
        }
        return cls(
            raw=raw,
            responses=responses,
            forms=forms,
            slot_names=tuple(slots.keys()),
            actions=tuple(raw.get("actions") or []),
            form_intents=_form_intents(Path(path).parent),
        )

    def as_rasa_dict(self) -> dict[str, Any]:
        """The domain as rasa_sdk actions receive it."""
        return self.raw

    def has_response(self, name: str) -> bool:
        """True when the domain defines this response."""
        return name in self.responses

    def render(self, name: str, values: dict[str, Any]) -> Reply:
        """The first variant of a response, with `{slot}` placeholders filled."""
        variants = self.responses.get(name)
        if not variants:
            raise ConfigurationError(f"response {name} is not in the domain")
        v = variants[0]

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)

        buttons = [Button(fill(b["title"]), fill(b["payload"])) for b in v.get("buttons", [])]
        return Reply(text=fill(v.get("text", "")), buttons=buttons)


def _form_intents(folder: Path) -> dict[str, str]:
    """intent → form from the Rasa rules in the data folder whose steps are: the intent, then the form.

    Rules may sit in `rules.yml` or beside an intent's examples in `nlu/*.yml` (Rasa reads both), so a new
    intent with a form keeps its examples and the rule that starts its form in one file. Only files that
    have a `rules:` key are parsed: start-up does not read the whole training data.
    """
    out: dict[str, str] = {}
    files = [folder / "rules.yml", *sorted((folder / "nlu").glob("*.yml"))]
    rules = [rule for f in files if f.is_file() and "\nrules:" in "\n" + f.read_text(encoding="utf-8")
             for rule in _read_yaml(f).get("rules") or []]
    for rule in rules:
        steps = rule.get("steps") or []
        if len(steps) >= 2 and "intent" in steps[0] and str(steps[1].get("action", "")).endswith("_form"):
            out[str(steps[0]["intent"])] = str(steps[1]["action"])
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read domain file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"domain file {path} is not a mapping")
    return data
