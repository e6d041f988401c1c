"""Chinese numerals read by cn2an, with the few ways of speaking it does not know kept as the project's own."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.nlu.numbers import cn_to_int

SPOKEN_DIGITS = {"0": "零〇", "1": "一幺", "2": "二两", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七",
                 "8": "八", "9": "九"}


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_a_written_numeral_reads_as_cn2an_writes_it(n: int) -> None:
    assert cn_to_int(cn2an.an2cn(n)) == n
    assert cn_to_int(str(n)) == n


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_a_numeral_with_liang_reads_the_same(n: int) -> None:
    """两千, 两百, 两万 as people say them, where cn2an writes 二."""
    written = cn2an.an2cn(n)
    spoken = written.replace("二千", "两千").replace("二百", "两百").replace("二万", "两万")
    assert cn_to_int(spoken) == n


@given(st.text("0123456789", min_size=1, max_size=11), st.data())
def test_a_number_said_digit_by_digit_reads_as_its_digits(digits: str, data: st.DataObject) -> None:
    said = "".join(data.draw(st.sampled_from(SPOKEN_DIGITS[d])) for d in digits)
    assert cn_to_int(said) == int(digits)


@given(st.text(min_size=1, max_size=6))
def test_cn_to_int_agrees_with_cn2an_wherever_both_read_a_number(text: str) -> None:
    """On plain numerals our reading is cn2an's; elsewhere it reads nothing rather than guess."""
    ours = cn_to_int(text)
    try:
        theirs = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError):
        theirs = None
    if ours is not None and "俩" not in text and "仨" not in text:
        assert theirs is not None and ours == theirs


@pytest.mark.parametrize(("said", "value"), [
    ("八十二", 82), ("一百五", 150), ("两千三", 2300), ("幺三八", 138), ("俩", 2), ("仨", 3), ("十", 10),
    ("三万五", 35000), ("二〇二六", 2026),
])
def test_ways_people_say_numbers(said: str, value: int) -> None:
    assert cn_to_int(said) == value


@pytest.mark.parametrize("said", ["", "万一", "万", "百", "八九十", "三点", "十几", "一十零"])
def test_what_is_not_one_number_reads_as_none(said: str) -> None:
    assert cn_to_int(said) is None
