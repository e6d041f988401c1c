"""Speech-to-text repair: mends slips of domain words, and never touches correct words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.asr_repair import AsrRepairer, build_lexicon
from bot.nlu.mapped_text import MappedText
from bot.nlu.pinyin import build_table

TERMS = [
    "高龄津贴",
    "津贴",
    "补贴",
    "低保",
    "残疾",
    "证明",
    "居住证明",
    "预约",
    "报修",
    "投诉",
    "取消",
    "助浴",
    "社保卡",
    "养老金",
    "保洁",
    "最低生活保障",
]
COMMON = ["取笑", "足浴", "保修", "什么", "每年", "宝洁"]
LEXICON = build_lexicon(TERMS, common_words=COMMON, frequent_words=["什么", "每年", "我们", "老人"])
REPAIRER = AsrRepairer(LEXICON, build_table())
# Lexicon characters, their sound-alikes and others, so that random text often comes close to a word.
ALPHABET = "高龄林津经金贴帖补不低底宝保残惨疾证正明名居主住预约报修投头诉取去消笑助主浴于社卡养老金洁每年什么我的 1a"


def repair(text: str) -> str:
    return REPAIRER.repair(MappedText.of(text)).text


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("我想问一下高龄经贴怎么申请", "我想问一下高龄津贴怎么申请"),
        ("高林经贴", "高龄津贴"),
        ("我家有低宝", "我家有低保"),
        ("社宝卡丢了", "社保卡丢了"),
        ("居主证明怎么开", "居住证明怎么开"),
        ("最低生活保帐", "最低生活保障"),
    ],
)
def test_repairs_slips(raw: str, fixed: str) -> None:
    assert repair(raw) == fixed


@pytest.mark.parametrize(
    "kept", ["我想取笑他", "去做足浴", "我要保修", "明天的保洁先别来", "低保每年什么时候审", "今天天气好"]
)
def test_leaves_correct_and_common_words(kept: str) -> None:
    assert repair(kept) == kept


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=30))
def test_idempotent_and_length_preserving(text: str) -> None:
    once = REPAIRER.repair(MappedText.of(text))
    assert len(once.text) == len(text)
    assert once.starts == tuple(range(len(text)))
    assert repair(once.text) == once.text


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=ALPHABET, max_size=12),
    st.sampled_from(TERMS + COMMON),
    st.text(alphabet=ALPHABET, max_size=12),
)
def test_never_changes_an_exact_word(left: str, word: str, right: str) -> None:
    out = repair(left + word + right)
    # The word may only change if a repair around it cut through it, which the rules forbid.
    assert out[len(left) : len(left) + len(word)] == word
