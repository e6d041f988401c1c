"""The danger-kinds file: it loads, every kind is speakable and complete, and mistakes are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigurationError
from knowledge.emergencies import DEFAULT_PATH, MAX_GUIDANCE_SENTENCES, load_emergencies
from knowledge.speech import to_speech

REQUIRED_KINDS = {
    "fire", "smoke", "gas", "fall", "unconscious", "medical", "electric_shock", "flooding", "violence",
    "elevator", "drowning", "crisis",
}


def test_the_shipped_file_loads_with_every_required_kind() -> None:
    book = load_emergencies()
    assert REQUIRED_KINDS <= {k.id for k in book.kinds}
    assert {"call_ambulance", "call_police", "call_fire"} <= {c.id for c in book.calls}
    assert set(book.numbers) == {"110", "119", "120", "122"}


def test_loading_is_cached_per_path() -> None:
    assert load_emergencies() is load_emergencies(DEFAULT_PATH)


@pytest.mark.parametrize("kind_id", ["fire", "smoke", "gas", "fall", "electric_shock", "crisis", "call_ambulance"])
def test_guidance_is_heard_whole_after_the_number(kind_id: str) -> None:
    book = load_emergencies()
    kind = book.kind(kind_id)
    assert kind is not None
    spoken = to_speech(f"请马上拨打{kind.numbers[0]}。{kind.guidance}")
    # The speech engine keeps three sentences: the number and all the guidance must fit.
    assert spoken.count("。") + spoken.count("？") == 1 + kind.guidance.count("。")
    assert "拨打" in spoken and " " not in kind.guidance


def test_gas_guidance_follows_the_domain_rules() -> None:
    gas = load_emergencies().kind("gas")
    assert gas is not None and gas.numbers == ("119",)
    for words in ("不要开关电灯", "不要点火", "打开门窗", "室外"):
        assert words in gas.guidance


def test_every_kind_has_short_guidance() -> None:
    for kind in (*load_emergencies().kinds, *load_emergencies().calls):
        assert kind.guidance.count("。") <= MAX_GUIDANCE_SENTENCES, kind.id
        assert not any(sym in kind.guidance for sym in "→「」()（）;；"), kind.id


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "emergencies.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_number_without_a_label_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    numbers = {k: v for k, v in data["numbers"].items() if k != "122"}
    with pytest.raises(ConfigurationError, match="122"):
        load_emergencies(_write(tmp_path, {"numbers": numbers}))


def test_a_broken_pattern_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["kinds"][0]["words"] = ["着火(了"]
    with pytest.raises(ConfigurationError, match="bad pattern"):
        load_emergencies(_write(tmp_path, {"kinds": data["kinds"]}))


def test_guidance_too_long_to_be_heard_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["kinds"][0]["guidance"] = "第一句。第二句。第三句。"
    with pytest.raises(ConfigurationError, match="sentences"):
        load_emergencies(_write(tmp_path, {"kinds": data["kinds"]}))


def test_a_fallback_that_is_not_a_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="fallback"):
        load_emergencies(_write(tmp_path, {"fallback": "nothing"}))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_a_topic_or_a_button_never_sets_off_an_alarm(text: str) -> None:
    book = load_emergencies()
    assert book.match(f"{text}讲座") is None
    assert book.match(f"/{text}") is None
