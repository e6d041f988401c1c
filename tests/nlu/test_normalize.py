"""The normaliser: what it changes, what it keeps, and that offsets always lead back to the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.normalize import normalize
from bot.nlu.numbers import cn_to_int

# Characters that exercise every step: fillers, numerals, repeats, traditional forms, widths, controls.
ALPHABET = "嗯呃啊那个就是这我想预约问高齡津貼证明一二三四五六七八九十百两幺零点号岁个人楼 ，。？ＡＢ１２ab\x00\u200b😀"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("嗯那个我想问一下高齡津貼怎麼申請？", "我想问一下高龄津贴怎么申请"),
        ("我我我想预约预约明天", "我想预约明天"),
        ("电话是幺三八 一二三四 五六七八", "电话是13812345678"),
        # A pause after a positional numeral ends it: 六十三 一个月 is 63 and 1, not 631 or 61.
        ("俺六十三 一个月就几百块钱", "俺63 1个月就几百块钱"),
        ("我今年八十二岁了", "我今年82岁了"),
        ("三号楼二单元五零一", "3号楼2单元501"),
        ("下午两点半", "下午2点半"),
        ("ＡＢＣ１２３", "abc123"),
        ("对对对", "对"),
        ("谢谢谢谢", "谢谢"),
    ],
)
def test_examples(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


@pytest.mark.parametrize(
    "kept",
    [
        "那个证明怎么开",
        "残疾人两项补贴",
        "十分满意",
        "快一点",
        "万一不行呢",
        "两三个人",
        "我要那个",
        "看看",
        "嗯",
    ],
)
def test_keeps_what_is_not_noise(kept: str) -> None:
    assert normalize(kept).text == kept


def test_only_fillers_are_kept_rather_than_emptied() -> None:
    assert normalize("嗯嗯").text == "嗯"


def test_offsets_point_at_the_original() -> None:
    mt = normalize("嗯那个我今年八十二岁")
    i = mt.text.index("82岁")
    assert mt.original_text(i, i + 3) == "八十二岁"


def test_truncation() -> None:
    assert len(normalize("好" * 20_000, max_chars=2000).original) == 2000


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("八十二", 82),
        ("一百零五", 105),
        ("一百五", 150),
        ("两千三", 2300),
        ("十二", 12),
        ("幺三八", 138),
        ("20", 20),
        ("三万五", 35000),
    ],
)
def test_chinese_numbers(raw: str, value: int) -> None:
    assert cn_to_int(raw) == value


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_idempotent(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_offset_map_is_monotonic_and_in_bounds(text: str) -> None:
    mt = normalize(text)
    assert len(mt.starts) == len(mt.ends) == len(mt.text)
    for i, (s, e) in enumerate(zip(mt.starts, mt.ends, strict=True)):
        assert 0 <= s <= e <= len(text)
        if i:
            assert s >= mt.starts[i - 1]
    s, e = mt.span(0, len(mt.text))
    assert 0 <= s <= e <= len(text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("唔系", "唔系"),
        ("唔使了", "唔使了"),
        ("唔該晒", "唔该晒"),
        ("嗯唔系我", "唔系我"),
        ("唔好意思", "唔好意思"),
        ("我唔知道", "我唔知道"),
        ("唔想去", "唔想去"),
        ("唔我想问一下", "我想问一下"),
        ("唔唔系", "唔系"),
    ],
)
def test_cantonese_not_is_kept_but_the_hesitation_is_dropped(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected
