"""Where an emergency is: the place in a resident's answer, without fillers, lead-ins or pleas."""

from __future__ import annotations

import pytest

from actions.emergency import answers_where, numbers_phrase, place_from_answer, place_in
from knowledge.emergencies import load_emergencies


@pytest.mark.parametrize(("answer", "place"), [
    ("三号楼一单元六零一", "3号楼1单元601"),
    ("嗯 那个 就在三号楼一单元六零一", "3号楼1单元601"),
    ("就在那个 三号楼 一单元 六零一 你们快来啊", "3号楼1单元601"),
    ("俺家在五组村口", "5组村口"),
    ("我们在二组老王家门口", "2组老王家门口"),
    ("我家住幸福小区5栋302，快点！", "幸福小区5栋302"),
    ("地址是光明路18号", "光明路18号"),
    ("嗯 我跟你说啊 俺家老头子在地里 就是村东头那块玉米地 你们快点来", "地里就是村东头那块玉米地"),
    ("在村委会旁边那个小卖部后面", "村委会旁边那个小卖部后面"),
    ("快递柜旁边", "快递柜旁边"),
])
def test_the_place_is_kept_whole_and_the_rest_dropped(answer: str, place: str) -> None:
    assert place_from_answer(answer) == place


@pytest.mark.parametrize("answer", ["不知道在哪", "我也说不清是哪儿", "嗯", "/inform"])
def test_no_place_when_the_resident_cannot_tell(answer: str) -> None:
    assert place_from_answer(answer) is None


def _loc(*values: str) -> list[dict[str, str]]:
    return [{"entity": "location", "value": v} for v in values]


def test_an_unasked_place_counts_only_when_it_says_which_building() -> None:
    book = load_emergencies()
    assert place_in(_loc("3号楼2单元"), book, answering=False) == "3号楼2单元"
    assert place_in(_loc("楼道"), book, answering=False) is None
    assert place_in(_loc("幸福小区5栋302", "楼道"), book, answering=False) == "幸福小区5栋302楼道"
    assert place_in(_loc("楼道"), book, answering=True) == "楼道"
    assert place_in([{"entity": "service", "value": "x"}], book, answering=True) is None


def test_an_answer_to_where_is_recognised_whatever_the_intent() -> None:
    assert answers_where("我也说不清是哪儿", [])
    assert answers_where("二组老王家门口", _loc("2组"))
    assert not answers_where("谢谢你啊", [])


def test_numbers_are_said_in_order_with_what_they_are_for() -> None:
    book = load_emergencies()
    assert numbers_phrase(book, book.match("能帮我叫个救护车吗")) == "120急救电话"  # type: ignore[arg-type]
    assert numbers_phrase(book, book.match("小孩掉河里了")) == "110报警电话和120急救电话"  # type: ignore[arg-type]
    assert numbers_phrase(book, book.general()) == "110报警电话、119火警电话或120急救电话"
