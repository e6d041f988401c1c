"""The checks Rasa 3.6 runs on `nlu_data/` while training, so a Rasa user trains it without warnings.

Rasa cannot run beside this project, so its checks are mirrored here, read from its 3.6 sources:

- Misaligned entities (`EntityExtractorMixin.check_correct_entity_annotations`, run by DIETClassifier):
  the JiebaTokenizer of `nlu_data/config.yml` cuts each example with `jieba.tokenize(text)` after
  loading every file under its `dictionary_path` with `jieba.load_userdict`; an example warns once if any
  entity's start is not a token start or its end not a token end.
- Conflicting synonyms: the YAML reader and `TrainingData.merge` warn (`check_duplicate_synonym`) when one
  text is given two values, by `synonym:` blocks or by annotations whose value differs from their text;
  `EntitySynonymMapper.train` warns on the same, with the text lower-cased.

When a check fails it prints every offending example: make the entity span whole tokens, or add the word
to the jieba user dictionary (see the comment on JiebaTokenizer in `nlu_data/config.yml`).
"""

from __future__ import annotations

import glob
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.nlu.training_data import Example, TrainingData, load_training_data, nlu_files, parse_annotated

NLU_DATA = PROJECT_ROOT / "nlu_data"
_ITEM = re.compile(r"^\s*-\s?(.*)$")


def jieba_dictionary_path(config_file: Path) -> Path | None:
    """The JiebaTokenizer's `dictionary_path` in a Rasa config, relative to the repository root."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "JiebaTokenizer":
            path = component.get("dictionary_path")
            return None if path is None else PROJECT_ROOT / str(path)
    raise AssertionError(f"{config_file} has no JiebaTokenizer")


def rasa_jieba(dictionary_path: Path | None) -> jieba.Tokenizer:
    """A jieba tokenizer set up as Rasa's JiebaTokenizer sets up the global one (its own instance, so the
    user dictionary does not leak into the project's own jieba use in this process)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    if dictionary_path is not None:
        for user_dict in sorted(glob.glob(f"{dictionary_path}/*")):
            tokenizer.load_userdict(user_dict)
    return tokenizer


def misaligned_examples(examples: Iterable[Example], tokenizer: jieba.Tokenizer) -> list[str]:
    """One line per example Rasa would warn about: the text, its tokens and the entities they cut."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for ex in examples:
        if not ex.entities or (ex.text, ex.intent) in seen:
            continue
        seen.add((ex.text, ex.intent))
        tokens = list(tokenizer.tokenize(ex.text))
        starts = {start for _, start, _ in tokens}
        ends = {end for _, _, end in tokens}
        cut = [e for e in ex.entities if e.start not in starts or e.end not in ends]
        if cut:
            words = "/".join(word for word, _, _ in tokens)
            spans = ", ".join(f"{e.entity} {e.text!r} [{e.start}:{e.end}]" for e in cut)
            out.append(f"{Path(ex.source).name} ({ex.intent}): {words}  <- {spans}")
    return out


@dataclass(frozen=True)
class SynonymClaim:
    """One text mapped to one value, and where the data says so."""

    text: str
    value: str
    where: str


def synonym_claims(root: Path) -> list[SynonymClaim]:
    """Every text → value mapping Rasa's reader collects: `synonym:` items and annotations with a value.

    The project's reader keeps one value per text, which hides exactly the conflicts looked for here, so
    the blocks are walked again; annotations are parsed by the project's reader.
    """
    claims: list[SynonymClaim] = []
    for path in nlu_files(root):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("nlu"), list):
            continue
        for block in raw["nlu"]:
            for line in _example_lines(block.get("examples")):
                if "synonym" in block:
                    claims.append(SynonymClaim(line, str(block["synonym"]), f"{path.name} synonym"))
                elif "intent" in block:
                    text, spans = parse_annotated(line)
                    claims.extend(
                        SynonymClaim(s.text, s.value, f"{path.name} {block['intent']}: {line}")
                        for s in spans
                        if text[s.start : s.end] != s.value
                    )
    return claims


def _example_lines(block: Any) -> list[str]:
    """The examples of a block: `- item` lines of a string, or a list of strings or {text: …}."""
    if isinstance(block, str):
        return [m.group(1).strip() for m in map(_ITEM.match, block.splitlines()) if m and m.group(1).strip()]
    if isinstance(block, list):
        return [str(item["text"] if isinstance(item, dict) else item).strip() for item in block]
    return []


def conflicting_synonyms(claims: Iterable[SynonymClaim]) -> list[str]:
    """Texts given more than one value, compared lower-cased as EntitySynonymMapper does."""
    by_text: dict[str, list[SynonymClaim]] = defaultdict(list)
    for claim in claims:
        by_text[claim.text.lower()].append(claim)
    out: list[str] = []
    for text, group in sorted(by_text.items()):
        if len({c.value for c in group}) > 1:
            out.append(f"{text}: " + "; ".join(f"{c.value} ({c.where})" for c in group))
    return out


@pytest.fixture(scope="module")
def data() -> TrainingData:
    """The repository's NLU training data, read by the project's reader."""
    return load_training_data(NLU_DATA)


@pytest.fixture(scope="module")
def tokenizer() -> jieba.Tokenizer:
    """jieba as the Rasa config sets it up."""
    return rasa_jieba(jieba_dictionary_path(NLU_DATA / "config.yml"))


def test_every_entity_span_starts_and_ends_on_a_jieba_token(data: TrainingData, tokenizer: jieba.Tokenizer) -> None:
    bad = misaligned_examples(data.examples, tokenizer)
    assert not bad, f"{len(bad)} examples Rasa warns about (misaligned entity annotation):\n" + "\n".join(bad)


def test_no_text_is_a_synonym_of_two_values() -> None:
    bad = conflicting_synonyms(synonym_claims(NLU_DATA))
    assert not bad, f"{len(bad)} conflicting synonyms:\n" + "\n".join(bad)


def test_the_alignment_check_finds_a_span_inside_a_word(tokenizer: jieba.Tokenizer) -> None:
    text, spans = parse_annotated('办[老年]{"entity": "service"}证要带啥')
    assert tokenizer.lcut(text)[:2] == ["办", "老年证"]
    assert len(misaligned_examples([Example(text, "ask_documents", spans)], tokenizer)) == 1


def test_the_user_dictionary_is_what_splits_date_from_time() -> None:
    text, spans = parse_annotated("取消[今天](date)[下午](time)的保洁")
    example = [Example(text, "cancel_booking", spans)]
    assert misaligned_examples(example, rasa_jieba(None))
    assert not misaligned_examples(example, rasa_jieba(jieba_dictionary_path(NLU_DATA / "config.yml")))


def test_the_synonym_check_finds_one_text_with_two_values(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        "nlu:\n- synonym: elderly-preferential-card\n  examples: |\n    - 老人卡\n"
        "- intent: ask_documents\n  examples: |\n"
        '    - 办[老人卡]{"entity": "service", "value": "elderly-bus-card"}要带啥\n'
        "    - 办[老年卡](service)要带啥\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text("nlu:\n- synonym: hpv-vaccine\n  examples: |\n    - hpv\n", encoding="utf-8")
    (tmp_path / "c.yml").write_text("nlu:\n- synonym: vaccination\n  examples: |\n    - HPV\n", encoding="utf-8")
    bad = conflicting_synonyms(synonym_claims(tmp_path))
    assert [line.split(":")[0] for line in bad] == ["hpv", "老人卡"]
