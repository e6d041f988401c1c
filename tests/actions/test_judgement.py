"""Reading a verdict: which messages are ratings, which grade the words make clear, what comment is kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.judgement import comment_of, is_acknowledgement, read


def _rating(value: int, start: int, end: int) -> dict[str, object]:
    return {"entity": "rating", "value": value, "start": start, "end": end}


@pytest.mark.parametrize("text", [
    "助餐的饭菜太咸了", "嗯那个助餐那个饭太咸了 吃不下去", "师傅态度挺好的", "修得很快", "太差劲了 等了三天",
    "上次助浴的阿姨态度太差了", "那个助浴的阿姨洗得很仔细", "俺给那个师傅点个赞", "修了两回又坏了",
])
def test_a_verdict_on_a_service_is_a_rating_without_any_grade_word(text: str) -> None:
    assert read(text).verdict


@pytest.mark.parametrize("text", [
    "楼道灯坏了", "楼上装修太吵了", "助浴收费吗", "帮我约个下周三早上的洗澡的", "师傅态度好吗？",
    "饭菜太咸了能不能做淡一点", "谢谢", "好的", "挺好的", "一般般", "太好了",
    "物业费涨了服务越来越差 投诉物业！", "报修的师傅来了没修好就走了麻烦再派个人来", "电饭锅煮饭放多少水",
    "那个陪诊再给我约一回上回那个小姑娘挺好", "那个谢谢啊小伙子你真好",
])
def test_requests_questions_and_bare_answers_are_not_verdicts(text: str) -> None:
    assert not read(text).verdict


@pytest.mark.parametrize(("text", "score"), [
    ("太差劲了 等了三天", 1), ("什么破服务", 1), ("表扬一下那个护工", 5), ("没得说", 5),
    ("饭菜太咸了", None), ("师傅态度挺好的", None), ("修得很快", None),
])
def test_strong_words_make_the_grade_clear_and_mild_ones_do_not(text: str, score: int | None) -> None:
    assert read(text).score == score


@pytest.mark.parametrize(("text", "score"), [
    ("挺好的", 4), ("一般般", 3), ("还行吧", 3), ("不好", 2), ("不太好", 2), ("太好了", 5), ("一颗星", 1),
    ("不满意", 2), ("非常满意", 5),
])
def test_short_answers_grade_a_service_when_a_grade_was_asked(text: str, score: int) -> None:
    assert read(text).any_score == score


def test_the_nlu_grade_wins_and_a_payload_has_no_comment() -> None:
    assert read("/rate_service{\"rating\":2}", [{"entity": "rating", "value": 2}]) .score == 2
    assert read("/rate_service{\"rating\":2}", [{"entity": "rating", "value": 2}]).comment == ""
    assert read("嗯谢谢啊那个给个好平", [_rating(5, 8, 10)]).score == 5


@pytest.mark.parametrize(("text", "comment"), [
    ("我要给个差评", ""),
    ("差评", ""),
    ("1分", ""),
    ("助餐的饭菜太咸了", "助餐的饭菜太咸了"),
    ("嗯那个助餐那个饭太咸了 吃不下去", "助餐那个饭太咸了，吃不下去"),
    ("我要给个差评 饭太咸了", "饭太咸了"),
    ("非常满意 师傅很耐心", "师傅很耐心"),
    ("嗯 就是饭太咸", "饭太咸"),
    ("挺好的", ""),
    ("好的", ""),
])
def test_the_comment_is_the_residents_words_without_grade_words_and_fillers(text: str, comment: str) -> None:
    assert read(text).comment == comment


def test_a_grade_word_makes_a_complaint_a_rating_too_but_not_a_question() -> None:
    assert read("噪音投诉处理了个寂寞 非常不满意", [_rating(1, 12, 17)]).verdict
    assert not read("差评怎么撤回？", [_rating(1, 0, 2)]).verdict


def test_a_remark_explains_a_grade_just_given_and_a_new_topic_does_not() -> None:
    assert read("嗯 就是修完第二天又不亮了").remark
    assert read("因为等了三天").remark
    assert not read("还有就是我们楼道的灯又坏了").remark
    assert not read("就是").remark


def test_the_words_say_what_kind_of_thing_and_which_service() -> None:
    assert read("修得很快").kind == "work_order"
    assert "meal-assistance" in read("饭菜太咸了").services
    assert read("上次助浴", [{"entity": "service", "value": "bathing-assistance"}]).services[0] == "bathing-assistance"


def test_declining_and_acknowledging() -> None:
    assert read("不用了").declined and read("不评了").declined
    assert not read("不好").declined
    assert is_acknowledgement("好的") and is_acknowledgement("嗯嗯") and not is_acknowledgement("就是饭太咸")


_GRADES = ["差评", "好评", "非常满意", "不满意", "五星", "一颗星", "3分"]


@given(before=st.sampled_from(["", "我要给个", "俺给", "嗯那个给个", "打"]), grade=st.sampled_from(_GRADES),
       after=st.sampled_from(["", "吧", " 就是饭太咸", "，师傅来晚了"]))
def test_a_grade_word_never_stays_in_the_comment(before: str, grade: str, after: str) -> None:
    text = before + grade + after
    start = len(before)
    comment = comment_of(text, [(start, start + len(grade))])
    assert grade not in comment
    assert comment in ("", "就是饭太咸", "饭太咸", "师傅来晚了")
