"""The shared text facts: one pinyin confusion table for the classifier and the service search, one idea of
what a Chinese character is, width and case folding, traditional → simplified."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.nlu.pinyin import build_table, word_syllables
from bot.text import CJK, fold_syllable, fold_width_case, is_cjk, to_simplified
from knowledge.sparse import Readings, terms

CONFUSED_INITIALS = [("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("r", "l"), ("f", "h")]
CONFUSED_FINALS = [("in", "ing"), ("en", "eng"), ("an", "ang"), ("ian", "iang"), ("uan", "uang")]
initials = st.sampled_from(["", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                            "zh", "ch", "sh", "r", "z", "c", "s", "y", "w"])
finals = st.sampled_from(["a", "o", "e", "i", "u", "v", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong",
                          "in", "ing", "ian", "iang", "iong", "uan", "uang", "un", "ui", "ue", "ie", "iu"])


@given(st.sampled_from(CONFUSED_INITIALS), finals)
def test_confused_initials_fold_together_either_way(pair: tuple[str, str], final: str) -> None:
    a, b = pair
    assert fold_syllable(a + final) == fold_syllable(b + final)


@given(initials, st.sampled_from(CONFUSED_FINALS))
def test_confused_finals_fold_together_either_way(initial: str, pair: tuple[str, str]) -> None:
    a, b = pair
    assert fold_syllable(initial + a) == fold_syllable(initial + b)


@given(initials, finals)
def test_folding_twice_changes_nothing(initial: str, final: str) -> None:
    once = fold_syllable(initial + final)
    assert fold_syllable(once) == once


@pytest.mark.parametrize(("apart", "a", "b"), [
    ("ong keeps its g", "dong", "don"), ("b and p", "bao", "pao"), ("j and z", "jin", "zin"), ("n and m", "n", "m"),
])
def test_sounds_nobody_confuses_stay_apart(apart: str, a: str, b: str) -> None:
    assert fold_syllable(a) != fold_syllable(b), apart


def test_the_classifier_and_the_search_hear_a_slip_the_same_way() -> None:
    """日 (ri) said as 立 (li), 牛 (niu) as 刘 (liu): the NLU table and the search's readings agree."""
    table = build_table("日立牛刘津经")
    readings = Readings.from_pypinyin()
    for a, b in ("日立", "牛刘", "津经"):
        assert table[a][0] == table[b][0] == readings(a) == readings(b), (a, b)
    assert word_syllables("高龄津贴") == word_syllables("高龄经贴")
    slip = {t for t in terms("老人日常照料", readings) if t.startswith("~")}
    assert slip == {t for t in terms("老人立常照料", readings) if t.startswith("~")}


@given(st.characters())
def test_a_chinese_character_is_one_in_every_pattern(ch: str) -> None:
    assert is_cjk(ch) == bool(re.fullmatch(f"[{CJK}]", ch))


@pytest.mark.parametrize(("ch", "cjk"), [("津", True), ("㐀", True), ("䶮", True), ("豈", True), ("a", False),
                                         ("１", False), ("，", False), ("ㄅ", False)])
def test_rare_characters_of_names_are_chinese_characters(ch: str, cjk: bool) -> None:
    assert is_cjk(ch) is cjk


def test_width_and_case_fold_together() -> None:
    assert fold_width_case("ＧＤ２０２６ＡＢＣ") == "gd2026abc"
    assert fold_width_case("高龄津贴") == "高龄津贴"


@given(st.text())
def test_width_and_case_folding_is_stable(text: str) -> None:
    once = fold_width_case(text)
    assert fold_width_case(once) == once


def test_traditional_characters_read_as_simplified() -> None:
    assert to_simplified("預約體檢，還有長壽金") == "预约体检，还有长寿金"
    assert to_simplified("GD20261209001") == "GD20261209001"
