"""Reading Rasa 3.x NLU data: annotations become offsets into the plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import DataValidationError
from bot.nlu.training_data import load_file, load_training_data, parse_annotated


def test_plain_entity_annotation_gives_offsets_in_plain_text() -> None:
    text, spans = parse_annotated("我想预约[明天](date)[上午十点](time)的助浴")
    assert text == "我想预约明天上午十点的助浴"
    assert [(s.entity, s.start, s.end, s.value) for s in spans] == [
        ("date", 4, 6, "明天"),
        ("time", 6, 10, "上午十点"),
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_dict_annotation_with_value_role_and_group() -> None:
    text, spans = parse_annotated(
        '从[北门]{"entity": "location", "role": "from", "group": "1"}'
        '到[高龄津贴]{"entity": "service", "value": "elderly-allowance"}'
    )
    assert text == "从北门到高龄津贴"
    assert spans[0].role == "from" and spans[0].group == "1" and spans[0].value == "北门"
    assert (spans[1].start, spans[1].end, spans[1].value) == (4, 8, "elderly-allowance")


def test_old_style_value_and_list_of_dicts() -> None:
    text, spans = parse_annotated(
        '[洗澡](service:bathing-assistance)和[两位][{"entity": "count", "value": "2"}, {"entity": "people"}]'
    )
    assert text == "洗澡和两位"
    assert spans[0].value == "bathing-assistance"
    assert [(s.entity, s.start, s.end) for s in spans[1:]] == [("count", 3, 5), ("people", 3, 5)]


def test_brackets_without_annotation_are_text() -> None:
    text, spans = parse_annotated("[笑]好的")
    assert text == "[笑]好的" and spans == ()


def test_folder_loads_intents_synonyms_regexes_lookups_and_skips_other_files(nlu_data_dir: Path) -> None:
    data = load_training_data(nlu_data_dir)
    assert "greet" in data.intents and "inform" in data.intents
    assert data.synonyms["上门洗澡"] == "bathing-assistance"
    assert data.synonyms["高龄津贴"] == "elderly-allowance"  # from an annotation with a value
    assert data.regexes["phone"] == [r"1[3-9]\d{9}"]
    assert data.lookups["place"] == ["小区东门", "地下车库"]
    assert all(Path(ex.source).name not in ("domain.yml", "config.yml") for ex in data.examples)


def test_block_metadata_is_kept(nlu_data_dir: Path) -> None:
    data = load_training_data(nlu_data_dir)
    inform = [ex for ex in data.examples if ex.intent == "inform"]
    assert inform and all(ex.style == "stt" for ex in inform)
    assert all(ex.style == "clean" for ex in data.examples if ex.intent == "greet")


def test_example_level_metadata_overrides_block(tmp_path: Path) -> None:
    f = tmp_path / "x.yml"
    f.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  metadata: {style: clean}\n  examples:\n'
        "  - text: 你好\n  - text: |\n      嗯你好\n    metadata: {style: stt}\n",
        encoding="utf-8",
    )
    data = load_file(f)
    assert [(e.text, e.style) for e in data.examples] == [("你好", "clean"), ("嗯你好", "stt")]


def test_malformed_block_is_reported_with_file(tmp_path: Path) -> None:
    f = tmp_path / "bad.yml"
    f.write_text('nlu:\n- intent: greet\n  examples: |\n    - [x]{"entity": }\n', encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        load_file(f)
    assert "bad.yml" in str(err.value)
