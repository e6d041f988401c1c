"""A place as staff need it (no fillers, never cut short), and the ticket a resident's words point at."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.places import clean_place, widen_entity
from actions.tickets import pick


@pytest.mark.parametrize(("said", "place"), [
    ("嗯 就是那个东门垃圾站", "东门垃圾站"),
    ("东门垃圾站", "东门垃圾站"),
    ("呃 在那个 二号楼后面那个 就是自行车棚那儿", "二号楼后面自行车棚"),
    ("咱村三组老王家门前那块儿", "咱村三组老王家门前"),
    ("啊 我家那个门前", "我家门前"),
    ("5号楼2单元楼道", "5号楼2单元楼道"),
    ("嗯 就在 村东头 老槐树 底下", "村东头老槐树底下"),
])
def test_a_place_keeps_the_place_and_drops_what_speech_adds(said: str, place: str) -> None:
    assert clean_place(said) == place


@pytest.mark.parametrize("said", ["就这儿", "这里", "嗯", "呃嗯"])
def test_no_place_in_the_words_is_no_place(said: str) -> None:
    assert len(clean_place(said)) < 2


@pytest.mark.parametrize(("text", "start", "end", "place"), [
    ("东门垃圾站好几天没人清理了", 0, 2, "东门垃圾站"),
    ("还有 东门那个垃圾站好几天没人收了", 3, 5, "东门垃圾站"),
    ("小区东门的路灯不亮了", 0, 4, "小区东门"),
    ("3号楼2单元楼道灯坏了", 0, 6, "3号楼2单元楼道"),
])
def test_a_place_named_inside_a_longer_message_is_not_cut(text: str, start: int, end: int, place: str) -> None:
    entity = {"entity": "location", "value": text[start:end], "start": start, "end": end}
    assert clean_place(widen_entity(text, text[start:end], [entity])) == place


@given(st.text(alphabet="嗯呃啊那个就是在东门垃圾站三组老王家门前 ", min_size=1, max_size=30))
def test_a_cleaned_place_never_keeps_a_hesitation_sound(said: str) -> None:
    place = clean_place(said)
    assert not any(c in place for c in "嗯呃")


@dataclass
class _Order:
    text: str


def test_the_words_pick_the_order_they_name_among_several() -> None:
    orders = [_Order("小区路灯不亮了 东门垃圾站旁边 维修"), _Order("厨房水管漏水了 5号楼2单元301 维修")]
    assert pick("我上个月报的那个水管的事怎么样了", orders, lambda o: o.text) == [orders[1]]
    assert pick("路灯那个工单怎么样了", orders, lambda o: o.text) == [orders[0]]


def test_words_every_order_shares_or_none_has_pick_none() -> None:
    orders = [_Order("小区路灯不亮了 维修"), _Order("厨房水管漏水了 维修")]
    assert pick("我报的事怎么样了", orders, lambda o: o.text) == []
    assert pick("维修的那个怎么样了", orders, lambda o: o.text) == []
