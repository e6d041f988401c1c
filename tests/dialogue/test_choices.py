"""Choices anyone can make: a number or the words pick an offered choice; anything else is left alone."""

from __future__ import annotations

import cn2an
from hypothesis import given
from hypothesis import strategies as st

from bot.config import PROJECT_ROOT
from bot.dialogue.choices import Choice, offered_in, pick, remember, remembered, speak_all, spoken, write_out
from bot.dialogue.domain import Button, Domain, Reply
from knowledge.speech import to_speech

TIMES = [Choice(f"{t}（剩{n}个名额）", f'/inform{{"time":"{t}"}}')
         for t, n in (("09:00", 2), ("10:00", 3), ("14:00", 1))]
SERVICES = [Choice("助浴上门服务", '/book_service{"service":"bathing-assistance"}'),
            Choice("老年助餐服务", '/book_service{"service":"elderly-meal"}'), Choice("转人工", "/request_human")]
RATINGS = [Choice(t, f'/rate_service{{"rating":{s}}}')
           for t, s in (("非常满意", 5), ("满意", 4), ("基本满意", 3), ("不满意", 2), ("非常不满意", 1))]
PEOPLE = [Choice("1位", '/inform{"count":1}'), Choice("2位", '/inform{"count":2}'), Choice("3位", '/inform{"count":3}')]
DOMAIN = Domain.load(PROJECT_ROOT / "nlu_data" / "domain.yml")


def _time(value: str, start: int, end: int) -> dict[str, object]:
    return {"entity": "time", "value": value, "start": start, "end": end}


def test_numbers_ordinals_and_spoken_digits_pick_by_place() -> None:
    for said, wanted in (("1", 0), ("一", 0), ("幺", 0), ("第一个", 0), ("选二", 1), ("2号", 1), ("第2个", 1),
                         ("嗯那个第三个吧", 2), ("就要第三个", 2), ("最后一个", 2), ("２", 1)):
        assert pick(said, TIMES) == TIMES[wanted], said


def test_the_words_of_a_title_or_an_entity_the_nlu_found_pick_it() -> None:
    assert pick("就九点吧", TIMES, [_time("09:00", 1, 3)]) == TIMES[0]
    assert pick("两点那个", TIMES, [_time("14:00", 0, 2)]) == TIMES[2]
    assert pick("助浴", SERVICES) == SERVICES[0]
    assert pick("我要助浴上门服务", SERVICES) == SERVICES[0]
    assert pick("人工", SERVICES) == SERVICES[2]
    assert pick("满意", RATINGS) == RATINGS[1] and pick("不满意", RATINGS) == RATINGS[3]


def test_anything_else_is_left_to_the_nlu() -> None:
    assert pick("九点太早了", TIMES, [_time("09:00", 0, 2)]) is None
    assert pick("不要第一个", TIMES) is None
    assert pick("4", TIMES) is None  # out of range
    assert pick("助浴收费吗", SERVICES) is None
    assert pick("服务", SERVICES) is None  # in two titles: not a choice
    assert pick("非常", RATINGS) is None
    assert pick("好的", TIMES) is None and pick("对", TIMES) is None
    assert pick("1", []) is None  # nothing was offered
    assert pick('/inform{"time":"09:00"}', TIMES) is None  # a pressed button is already a payload


def test_a_bare_number_answers_a_number_question_and_amounts_are_picked_by_amount() -> None:
    assert pick("2", TIMES, number_asked=True) is None  # 一共几位？ 2 is two people, not the 2nd button
    assert pick("第二个", TIMES, number_asked=True) == TIMES[1]
    assert pick("2", PEOPLE) == PEOPLE[1] and pick("两位", PEOPLE) == PEOPLE[1]
    assert pick("5", PEOPLE) is None
    assert pick("5", RATINGS) == RATINGS[0] and pick("1分", RATINGS) == RATINGS[4]  # a score, not a place
    assert pick("第五个", RATINGS) == RATINGS[4]


@given(st.from_regex(r"1[3-9][0-9]{9}|[0-9]{5,12}", fullmatch=True))
def test_phone_length_digit_strings_are_never_picks(digits: str) -> None:
    many = [Choice(f"选项{i}", f"/inform{{\"n\":{i}}}") for i in range(1, 100)]
    assert pick(digits, many) is None


@given(st.integers(1, 8), st.data())
def test_any_place_in_range_said_any_way_picks_that_choice(size: int, data: st.DataObject) -> None:
    offered = [Choice(f"选项{i}", f"/x{{\"n\":{i}}}") for i in range(1, size + 1)]
    place = data.draw(st.integers(1, size))
    word = str(cn2an.an2cn(place))
    said = data.draw(st.sampled_from([str(place), word, f"第{word}个", f"选{word}", f"{place}号", f"嗯第{place}个吧"]))
    assert pick(said, offered) == offered[place - 1]


@given(st.integers(1, 8), st.integers(9, 99))
def test_a_place_out_of_range_picks_nothing(size: int, place: int) -> None:
    offered = [Choice(f"选项{i}", f"/x{{\"n\":{i}}}") for i in range(1, size + 1)]
    assert pick(str(place), offered) is None and pick(f"第{place}个", offered) is None


def test_the_last_reply_with_buttons_offers_the_choices_and_the_state_keeps_them() -> None:
    aside = Reply("助浴收费吗？按次收费。", [Button("所需材料", "/ask_documents")])
    question = Reply("请问约什么时间？", [Button(c.title, c.payload) for c in TIMES])
    assert offered_in([aside, question, Reply("好的")]) == TIMES
    state: dict[str, object] = {}
    remember(state, [aside, question])
    assert remembered(state) == TIMES
    remember(state, [Reply("一共几位？")])
    assert remembered(state) == []


def test_choices_are_written_out_numbered_where_nothing_can_be_tapped() -> None:
    reply = Reply("请问约什么时间？", [Button(c.title, c.payload) for c in TIMES])
    write_out([reply], DOMAIN.render)
    assert "1. 09:00（剩2个名额）\n2. 10:00（剩3个名额）\n3. 14:00（剩1个名额）" in reply.text
    rating = Reply("请您为这次服务打个分：", [Button(c.title, c.payload) for c in RATINGS])
    write_out([rating], DOMAIN.render)
    assert "1." not in rating.text and "非常满意、满意" in rating.text


def test_choices_are_read_out_and_a_colon_is_never_read_as_the_end() -> None:
    clarify = Reply("抱歉，我没太明白。您是想：", [Button("办事咨询", "/ask_service_info"),
                                                Button("转人工", "/request_human")])
    said = to_speech(spoken(clarify, DOMAIN.render))
    assert "您是想。" not in said
    assert "您是想，一、办事咨询。二、转人工。" in said
    times = Reply("请问约什么时间？", [Button(c.title, c.payload) for c in TIMES])
    speak_all([Reply("好的。"), times], DOMAIN.render, to_speech)
    assert times.speech is not None and "一、九点" in times.speech and "三、下午两点" in times.speech
    assert times.speech.endswith("。")


def test_a_speech_that_already_names_every_choice_is_not_repeated() -> None:
    reply = Reply("您是想问哪一项？", [Button("高龄津贴", "/a"), Button("尊老金", "/b")],
                  speech="您是想问高龄津贴，还是尊老金？")
    assert spoken(reply, DOMAIN.render) == "您是想问高龄津贴，还是尊老金？"
