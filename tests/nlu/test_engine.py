"""The embedded engine: Rasa's parse shape, hostile input, fallback, determinism and threads."""

from __future__ import annotations

import datetime as dt
import filecmp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.errors import ModelNotFoundError
from bot.nlu.engine import FALLBACK_INTENT, EmbeddedNlu
from bot.nlu.training import TrainReport, train_nlu


def assert_rasa_shape(result: dict) -> None:
    assert set(result) == {"text", "intent", "intent_ranking", "entities"}
    assert set(result["intent"]) == {"name", "confidence"}
    assert isinstance(result["intent"]["name"], str)
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    assert 1 <= len(result["intent_ranking"]) <= 11
    for r in result["intent_ranking"]:
        assert set(r) == {"name", "confidence"} and 0.0 <= r["confidence"] <= 1.0
    confidences = [r["confidence"] for r in result["intent_ranking"] if r["name"] != FALLBACK_INTENT]
    assert confidences == sorted(confidences, reverse=True)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "greet"),
        ("谢谢你", "thank"),
        ("高龄津贴怎么申请", "ask_service_info"),
        ("我想预约明天的助浴", "book_service"),
        ("我的工单到哪了", "check_status"),
    ],
)
def test_parse_shape_and_intent(nlu: EmbeddedNlu, now: dt.datetime, text: str, intent: str) -> None:
    result = nlu.parse(text, now=now)
    assert_rasa_shape(result)
    assert result["text"] == text
    assert result["intent"]["name"] == intent
    assert len(result["intent_ranking"]) <= 10


def test_homophone_slip_still_understood(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    assert nlu.parse("嗯那个高龄经贴怎么申请啊", now=now)["intent"]["name"] == "ask_service_info"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "\x00\x01\x02\x1b[31m",
        "asdkjh qwpoeiru zxmcnv",
        "\u200b\u200d\ufeff",
        "!!!???",
        "\ud800",
    ],
)
def test_nothing_to_understand_is_out_of_scope(nlu: EmbeddedNlu, now: dt.datetime, text: str) -> None:
    result = nlu.parse(text, now=now)
    assert_rasa_shape(result)
    assert result["intent"]["name"] == "out_of_scope"
    assert result["entities"] == []


def test_known_latin_words_are_classified(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    assert nlu.parse("hello", now=now)["intent"]["name"] == "greet"


def test_very_long_input_is_truncated(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    text = "我想预约明天的助浴" * 2300
    result = nlu.parse(text, now=now)
    assert_rasa_shape(result)
    assert len(result["text"]) == 2000
    assert all(e["end"] <= 2000 for e in result["entities"])


def test_non_string_input_does_not_raise(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    assert_rasa_shape(nlu.parse(None, now=now))  # type: ignore[arg-type]


def test_low_confidence_falls_back_like_rasa(trained: TrainReport, now: dt.datetime) -> None:
    strict = EmbeddedNlu.load(trained.out_dir, fallback_threshold=0.999)
    result = strict.parse("这个那个怎么弄", now=now)
    assert result["intent"] == {"name": FALLBACK_INTENT, "confidence": 0.999}
    assert result["intent_ranking"][0] == result["intent"]
    assert result["intent_ranking"][1]["name"] != FALLBACK_INTENT


def test_threads_get_the_same_answers(nlu: EmbeddedNlu, now: dt.datetime) -> None:
    texts = [
        "你好",
        "我想预约明天下午两点的助浴",
        "电话幺三八一二三四五六七八",
        "3号楼楼道灯坏了",
        "非常满意",
    ] * 40
    expected = [nlu.parse(t, now=now) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: nlu.parse(t, now=now), texts))
    assert got == expected


def test_training_is_deterministic(tmp_path: Path, nlu_data_dir: Path, catalog_dir: Path, trained: TrainReport) -> None:
    again = train_nlu(nlu_data_dir, tmp_path / "again", catalog_dir=catalog_dir, seed=7)
    cmp = filecmp.dircmp(trained.out_dir, again.out_dir)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    for name in cmp.common_files:
        assert filecmp.cmp(trained.out_dir / name, again.out_dir / name, shallow=False), name
    a, b = EmbeddedNlu.load(trained.out_dir), EmbeddedNlu.load(again.out_dir)
    for text in ["你好", "高龄津贴怎么申请", "我要投诉", "随便说点什么"]:
        assert a.parse(text) == b.parse(text) or a.parse(text)["entities"] == b.parse(text)["entities"]


def test_missing_model_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        EmbeddedNlu.load(tmp_path / "nothing")


def test_importing_the_package_is_cheap() -> None:
    heavy = ("torch", "spacy", "sklearn", "scipy", "pypinyin")
    code = f"import sys, bot.nlu; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_a_model_does_not_import_torch_or_sklearn(trained: TrainReport) -> None:
    code = (
        "import sys; from bot.nlu.engine import EmbeddedNlu; "
        f"n = EmbeddedNlu.load({str(trained.out_dir)!r}); n.parse('你好'); "
        "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
