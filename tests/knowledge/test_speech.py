"""Speech text: words, digits and pauses only, numbers read as people say them, nothing cut."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from knowledge.speech import to_speech

DIGITS = str.maketrans("0123456789", "零幺二三四五六七八九")
ALLOWED = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9 ，。？、]*$")


def test_phone_numbers_are_read_digit_by_digit():
    assert "零五七幺，八八八八零零零零" in to_speech("电话0571-88880000")
    assert "幺三八，零零零零，零零零幺" in to_speech("网格员138-0000-0001")
    assert "幺三八，零零零零，零零零幺" in to_speech("手机13800000001")
    assert "幺二三四五" in to_speech("请拨打12345热线")
    assert "幺幺零" in to_speech("危险时打110")


def test_quantities_dates_times_and_ranges_read_naturally():
    said = to_speech("80-89岁每月100元，1月5日前，8:30-12:00，2024-05-01起，共10000元，40%")
    assert "80到89岁" in said and "100元" in said and "1月5日" in said
    assert "八点半到中午十二点" in said and "2024年5月1日" in said and "10000元" in said and "百分之40" in said


def test_clock_times_are_said_as_people_say_them():
    assert to_speech("09:00（剩2个名额）") == "九点，剩2个名额。"
    assert to_speech("时间：14:00") == "时间，下午两点。"
    assert "下午一点半到五点半" in to_speech("13:30-17:30")
    assert to_speech("9:05") == "九点零五分。" and to_speech("12:30") == "中午十二点半。"
    assert to_speech("19:45") == "晚上七点四十五分。"


def test_ticket_numbers_are_spelt_in_groups_and_masked_phones_say_the_last_digits():
    assert to_speech("预约号：YY20261211001") == "预约号，Y Y，二零二六，幺二幺幺，零零幺。"
    assert "G D，二零二六，幺二幺幺，零零幺" in to_speech("工单号GD20261211001，请记好。")
    assert to_speech("电话：138****5678") == "电话，尾号五六七八。"


def test_symbols_emoji_urls_and_brackets_are_removed():
    said = to_speech("【提示】😀 请看 https://example.gov.cn/a?b=1 或 **加粗** <b>标签</b>（括号里）• 完毕")
    assert ALLOWED.match(said), said
    assert "http" not in said and "example" not in said and "括号里" in said and "加粗" in said


def test_lists_become_one_sentence_and_nothing_is_cut():
    said = to_speech("需要带：\n1. 户口簿\n2. 身份证\n- 照片\n第二句。第三句！第四句？第五句。")
    assert said.startswith("需要带，户口簿，身份证，照片。")
    assert said.endswith("第四句？第五句。")
    assert to_speech("第一句。第二句。第三句。第四句。", max_sentences=2) == "第一句。第二句。"


def test_a_confirmation_is_read_to_the_end_with_its_question():
    said = to_speech("请核对：\n服务：助浴\n时间：09:00\n姓名：王秀英\n电话：138****5678\n确认提交吗？")
    assert "王秀英" in said and "尾号五六七八" in said and said.endswith("确认提交吗？")


def test_questions_keep_their_mark():
    assert to_speech("您是想问高龄津贴吗?") == "您是想问高龄津贴吗？"


@given(st.text(max_size=300))
def test_any_text_becomes_clean_speech(text):
    said = to_speech(text)
    assert ALLOWED.match(said)
    assert "http" not in said.lower()
    assert to_speech(said) == said
    assert not said or said[-1] in "。？"  # every sentence ends, none is cut


@given(st.integers(0, 23), st.integers(0, 59))
def test_any_clock_time_is_said_in_words(hour, minute):
    said = to_speech(f"{hour:02d}:{minute:02d}")
    assert not re.search(r"\d", said) and "点" in said
    assert to_speech(said) == said


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mobile_number_is_said_digit_by_digit(number):
    said = to_speech(f"请打{number}")
    assert not re.search(r"\d", said)
    assert said == "请打" + "，".join((number[:3], number[3:7], number[7:])).translate(DIGITS) + "。"
