"""Read Rasa 3.x NLU training data (a file or a folder, recursively) into plain dataclasses.

Examples keep their entity annotations as character offsets into the plain text, and the metadata of
their block (`{style: stt}`), so that evaluation can break results down by how the text was written.
Files without an `nlu:` key (domain.yml, config.yml, stories) are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import DataValidationError

# Rasa's own annotation grammar: [text](entity), [text](entity:value), [text]{...}, [text][{...}, {...}].
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<list>\{.*?\}(?:\s*,\s*\{.*?\})*)\])"
)
_ITEM = re.compile(r"^\s*-\s?(.*)$")


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity: offsets into the example's plain text; value defaults to the text."""

    entity: str
    start: int
    end: int
    text: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Example:
    """One training or evaluation sentence."""

    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def style(self) -> str:
        """How the sentence was written (`clean`, `stt`, …); `clean` when the data does not say."""
        return str(self.metadata.get("style", "clean"))


@dataclass
class TrainingData:
    """Everything an NLU data set holds."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface text -> normalised value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        """Intent names in sorted order (sorted so that models are deterministic)."""
        return sorted({e.intent for e in self.examples})

    def merge(self, other: TrainingData) -> None:
        """Add another data set's content to this one."""
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, pats in other.regexes.items():
            self.regexes.setdefault(name, []).extend(pats)
        for name, items in other.lookups.items():
            self.lookups.setdefault(name, []).extend(items)


def parse_annotated(line: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Strip Rasa entity annotations from one example and return its plain text and entity spans."""
    plain: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    cursor = 0
    for m in _ANNOTATION.finditer(line):
        plain.append(line[pos : m.start()])
        cursor += m.start() - pos
        text = m.group("text")
        start, end = cursor, cursor + len(text)
        for spec in _entity_specs(m):
            value = spec.get("value", text)
            spans.append(
                EntitySpan(
                    entity=str(spec["entity"]),
                    start=start,
                    end=end,
                    text=text,
                    value=str(value),
                    role=_opt_str(spec.get("role")),
                    group=_opt_str(spec.get("group")),
                )
            )
        plain.append(text)
        cursor = end
        pos = m.end()
    plain.append(line[pos:])
    return "".join(plain), tuple(spans)


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def _entity_specs(m: re.Match[str]) -> list[dict[str, Any]]:
    """The entity dicts of one annotation, whichever of Rasa's forms it uses."""
    if m.group("entity"):
        spec: dict[str, Any] = {"entity": m.group("entity").strip()}
        if m.group("value"):
            spec["value"] = m.group("value").strip()
        return [spec]
    raw = "{" + m.group("dict") + "}" if m.group("dict") else "[" + m.group("list") + "]"
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad entity annotation {m.group(0)!r}: {exc}") from exc
    specs = parsed if isinstance(parsed, list) else [parsed]
    for s in specs:
        if not isinstance(s, dict) or "entity" not in s:
            raise ValueError(f"entity annotation without 'entity': {m.group(0)!r}")
    return specs


def _items(block: Any) -> list[tuple[str, dict[str, Any]]]:
    """The examples of a block: a `|` string of `- item` lines, or a list of strings or {text, metadata}."""
    if block is None:
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(block, str):
        for raw in block.splitlines():
            m = _ITEM.match(raw)
            if m and m.group(1).strip():
                out.append((m.group(1).strip(), {}))
        return out
    if isinstance(block, list):
        for item in block:
            if isinstance(item, str):
                out.append((item.strip(), {}))
            elif isinstance(item, dict) and "text" in item:
                meta = item.get("metadata") or {}
                out.append((str(item["text"]).strip(), dict(meta) if isinstance(meta, dict) else {}))
            else:
                raise ValueError(f"unreadable example {item!r}")
        return out
    raise ValueError(f"examples must be a string or a list, not {type(block).__name__}")


def _parse_block(block: Mapping[str, Any], source: str, data: TrainingData) -> None:
    """Add one `- intent:` / `- synonym:` / `- regex:` / `- lookup:` block to `data`."""
    examples = _items(block.get("examples"))
    block_meta = block.get("metadata") or {}
    if "intent" in block:
        intent = str(block["intent"])
        for text, meta in examples:
            plain, spans = parse_annotated(text)
            merged = {**block_meta, **meta} if isinstance(block_meta, dict) else dict(meta)
            data.examples.append(Example(plain, intent, spans, merged, source))
            for s in spans:
                if s.value != s.text:
                    data.synonyms.setdefault(s.text, s.value)
    elif "synonym" in block:
        value = str(block["synonym"])
        for text, _ in examples:
            data.synonyms[text] = value
    elif "regex" in block:
        data.regexes.setdefault(str(block["regex"]), []).extend(t for t, _ in examples)
    elif "lookup" in block:
        data.lookups.setdefault(str(block["lookup"]), []).extend(t for t, _ in examples)
    else:
        raise ValueError(f"unknown block with keys {sorted(block)}")


def load_file(path: Path) -> TrainingData:
    """Load one YAML file; a file without an `nlu:` key yields empty data."""
    data = TrainingData()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataValidationError(f"{path}: not valid YAML", [str(exc)]) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("nlu"), list):
        return data
    problems: list[str] = []
    for i, block in enumerate(raw["nlu"]):
        try:
            if not isinstance(block, dict):
                raise ValueError("each nlu item must be a mapping")
            _parse_block(block, str(path), data)
        except ValueError as exc:
            problems.append(f"{path}: nlu[{i}]: {exc}")
    if problems:
        raise DataValidationError(f"{path}: invalid NLU data", problems)
    return data


def nlu_files(path: Path) -> list[Path]:
    """The YAML files under `path` (or `path` itself), in a stable order."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataValidationError(f"no NLU data at {path}")
    return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_training_data(paths: Path | Iterable[Path]) -> TrainingData:
    """Load every NLU file under one or more paths (files or folders, recursive)."""
    roots = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    data = TrainingData()
    for root in roots:
        for f in nlu_files(root):
            data.merge(load_file(f))
    return data
