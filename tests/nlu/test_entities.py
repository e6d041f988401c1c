"""Each entity kind, through the full parse: values normalised, offsets into the original text."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.nlu.engine import EmbeddedNlu


def ents(nlu: EmbeddedNlu, text: str, now: dt.datetime) -> dict[str, list[tuple[str, object]]]:
    out: dict[str, list[tuple[str, object]]] = {}
    for e in nlu.parse(text, now=now)["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
        out.setdefault(e["entity"], []).append((e["text"], e["value"]))
    return out


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("我想问一下高龄津贴怎么申请", "service", [("高龄津贴", "elderly-allowance")]),
        ("我想问一下高龄经贴怎么申请", "service", [("高龄经贴", "elderly-allowance")]),
        ("上门洗澡怎么约", "service", [("上门洗澡", "bathing-assistance")]),
        ("我叫王秀兰，电话幺三八 一二三四 五六七八", "phone", [("幺三八 一二三四 五六七八", "13812345678")]),
        ("手机138-1234-5678", "phone", [("138-1234-5678", "13812345678")]),
        ("座机0571-88880000", "phone", [("0571-88880000", "057188880000")]),
        ("我的工单gd20240515001到哪了", "ticket_id", [("gd20240515001", "GD20240515001")]),
        ("预约号YY 2024 0516 002", "ticket_id", [("YY 2024 0516 002", "YY20240516002")]),
        # The thousandth order of a day has four digits of count; a partly quoted number still counts.
        ("工单GD202405151024办好没", "ticket_id", [("GD202405151024", "GD202405151024")]),
        ("gd 1208 到哪一步了", "ticket_id", [("gd 1208", "GD1208")]),
        ("预约号歪歪幺二零八", "ticket_id", [("歪歪幺二零八", "YY1208")]),
        ("嗯 预约号是 幺三零八 我要改时间", "ticket_id", [("幺三零八", "1308")]),
        ("订单BK0825能改期不", "ticket_id", [("BK0825", "BK0825")]),
        ("我今年八十二岁", "age", [("八十二岁", 82)]),
        ("呃 俺爹七十九 还差一年", "age", [("七十九", 79)]),
        ("俺刚满70，乘车卡能办免费的不", "age", [("70", 70)]),
        ("井盖不见了 在 学校门口", "location", [("学校门口", "学校门口")]),
        ("那个 五组 的井水浑得很", "location", [("五组", "5组")]),
        ("老人82岁了", "age", [("82岁", 82)]),
        ("我妈八十多岁了", "age", [("八十多岁", 80)]),
        ("我们两个人", "count", [("两个人", 2)]),
        ("来3位", "count", [("3位", 3)]),
        ("我们俩人去", "count", [("俩人", 2)]),
        ("非常满意", "rating", [("非常满意", 5)]),
        ("基本满意吧", "rating", [("基本满意", 3)]),
        ("非常不满意", "rating", [("非常不满意", 1)]),
        ("差评", "rating", [("差评", 1)]),
        ("打3分", "rating", [("3分", 3)]),
        ("五星", "rating", [("五星", 5)]),
        ("地址是3号楼2单元501", "location", [("3号楼2单元501", "3号楼2单元501")]),
        ("我住幸福路88号", "location", [("幸福路88号", "幸福路88号")]),
        ("在小区东门等", "location", [("小区东门", "小区东门")]),
        ("车停在地下车库", "location", [("地下车库", "地下车库")]),
        ("张阿姨让我来问", "person_name", [("张阿姨", "张阿姨")]),
        ("找王大爷", "person_name", [("王大爷", "王大爷")]),
        ("李师傅什么时候来", "person_name", [("李师傅", "李师傅")]),
        ("我叫王秀兰", "person_name", [("王秀兰", "王秀兰")]),
        ("我姓王", "person_name", [("王", "王")]),
        ("王建国，电话13912345678", "person_name", [("王建国", "王建国")]),
        ("手机+86 137 1234 5678", "phone", [("+86 137 1234 5678", "13712345678")]),
        ("俺娘八十八了", "age", [("八十八", 88)]),
        ("二十来个人", "count", [("二十来个人", 20)]),
    ],
)
def test_entity_kinds(nlu: EmbeddedNlu, now: dt.datetime, text: str, kind: str, expected: list) -> None:
    assert ents(nlu, text, now).get(kind) == expected


def test_dates_and_times_in_a_booking(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    found = ents(nlu, "嗯那个我想预约下周三下午两点的助浴", now)
    assert found["date"] == [("下周三", "2024-05-22")]
    assert found["time"] == [("下午两点", "14:00")]
    assert found["service"] == [("助浴", "bathing-assistance")]


def test_entity_dict_shape(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    e = nlu.parse("明天", now=now)["entities"][0]
    assert set(e) >= {"entity", "value", "start", "end", "extractor", "text"}


@pytest.mark.parametrize("text", ["我想查一下", "小时候的事", "老师好", "有一点不舒服"])
def test_no_spurious_entities(nlu: EmbeddedNlu, now: dt.datetime, text: str) -> None:
    assert ents(nlu, text, now) == {}


@pytest.mark.parametrize("text", ["单元门 那个锁 坏了 关不上", "查进度：", "明天天气 冷不冷", "麻烦 查一下"])
def test_dictated_words_between_pauses_are_not_names(nlu: EmbeddedNlu, now: dt.datetime, text: str) -> None:
    """A voice front end leaves pauses as spaces; a surname-led word between two is rarely a name."""
    assert "person_name" not in ents(nlu, text, now)


@pytest.mark.parametrize(
    ("said", "size"),
    [("1", 1), ("就我一个", 1), ("我自己", 1), ("就俺爹一个", 1), ("俩", 2), ("我和老伴两个", 2), ("老两口", 2),
     ("三位", 3), ("我们一家三口都去", 3), ("八十个人", 80), ("明天", None), ("俺村口的路灯不亮了", None)],
)
def test_party_sizes_as_people_say_them(said: str, size: int | None) -> None:
    from bot.nlu.entities.quantities import party_size

    assert party_size(said) == size
