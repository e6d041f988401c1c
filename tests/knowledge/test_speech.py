"""Speech text: words, digits and pauses only, numbers read naturally, at most three sentences."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from knowledge.speech import to_speech

ALLOWED = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9 ，。？、]*$")


def _sentences(text: str) -> int:
    return len(re.findall(r"[。？]", text))


def test_phone_numbers_are_read_digit_by_digit():
    assert "零五七幺，八八八八零零零零" in to_speech("电话0571-88880000")
    assert "幺三八，零零零零，零零零幺" in to_speech("网格员138-0000-0001")
    assert "幺三八零零零零零零零幺" in to_speech("手机13800000001")
    assert "幺二三四五" in to_speech("请拨打12345热线")
    assert "幺幺零" in to_speech("危险时打110")


def test_quantities_dates_times_and_ranges_read_naturally():
    said = to_speech("80-89岁每月100元，1月5日前，8:30-12:00，2024-05-01起，共10000元，40%")
    assert "80到89岁" in said and "100元" in said and "1月5日" in said
    assert "8点30分到12点" in said and "2024年5月1日" in said and "10000元" in said and "百分之40" in said


def test_symbols_emoji_urls_and_brackets_are_removed():
    said = to_speech("【提示】😀 请看 https://example.gov.cn/a?b=1 或 **加粗** <b>标签</b>（括号里）• 完毕")
    assert ALLOWED.match(said), said
    assert "http" not in said and "example" not in said and "括号里" in said and "加粗" in said


def test_lists_become_one_sentence_and_three_sentences_at_most():
    said = to_speech("需要带：\n1. 户口簿\n2. 身份证\n- 照片\n第二句。第三句！第四句？第五句。")
    assert said.startswith("需要带，户口簿，身份证，照片。")
    assert _sentences(said) == 3
    assert said.endswith("第三句。")


def test_questions_keep_their_mark():
    assert to_speech("您是想问高龄津贴吗?") == "您是想问高龄津贴吗？"


@given(st.text(max_size=300))
def test_any_text_becomes_clean_short_speech(text):
    said = to_speech(text)
    assert ALLOWED.match(said)
    assert _sentences(said) <= 3
    assert "http" not in said.lower()
    assert to_speech(said) == said


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mobile_number_is_said_digit_by_digit(number):
    said = to_speech(f"请打{number}")
    assert not re.search(r"\d", said)
    assert len(said) == len("请打") + 11 + 1
