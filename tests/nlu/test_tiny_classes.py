"""Training on data with intents of one or a few examples: calibration still lets confident answers through,
and training names the intents that have too few examples."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import bot.cli.nlu  # noqa: F401 - registers the commands on the groups
from bot.cli.base import cli
from bot.nlu.engine import FALLBACK_INTENT, EmbeddedNlu
from bot.nlu.training import TrainReport, train_nlu

# Four well-populated intents of a public-style set (no catalog), and three with a single example each.
LARGE = {
    "weather__query": "今天北京天气怎么样 明天会下雨吗 上海后天气温多少度 这周末天气好不好 广州今天热不热 "
    "明天要带伞吗 杭州下周天气预报 今天风大不大 后天会下雪吗 深圳明天多少度".split(),
    "music__play": "播放周杰伦的歌 来一首晴天 我想听音乐 放一首轻音乐 播放刘德华的忘情水 "
    "给我放首歌 听一下邓丽君的歌 播放流行音乐 来点摇滚乐 放一首儿歌".split(),
    "app__launch": "打开微信 启动支付宝 打开相机 帮我打开淘宝 进入设置菜单 "
    "打开qq浏览器 启动地图 打开计算器 把微博打开 打开日历".split(),
    "telephone__call": "给妈妈打电话 拨打10086 打电话给张三 呼叫李四 给老王打个电话 "
    "拨打爸爸的手机 帮我打给小李 打电话到公司 呼叫110 给姐姐打电话".split(),
}
SINGLE = {"lottery__query": ["双色球开奖结果"], "stock__query": ["茅台股价多少"], "email__send": ["发邮件给老板"]}


def _write(path: Path, intents: dict[str, list[str]]) -> Path:
    nlu = [{"intent": name, "examples": "".join(f"- {t}\n" for t in texts)} for name, texts in intents.items()]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True), encoding="utf-8")
    return path


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("tiny") / "nlu.yml", {**LARGE, **SINGLE})


@pytest.fixture(scope="module")
def tiny_model(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainReport, list[str]]:
    """The model trained on the tiny-class data, and the warnings logged while training it."""
    handler = _Records()
    logger = logging.getLogger("linli.nlu")
    logger.addHandler(handler)
    try:
        report = train_nlu(tiny_data, tmp_path_factory.mktemp("tiny_model") / "model", catalog_dir=None, seed=3)
    finally:
        logger.removeHandler(handler)
    return report, handler.messages


def test_intents_with_one_example_do_not_make_every_answer_fall_back(tiny_model: tuple[TrainReport, list[str]]) -> None:
    nlu = EmbeddedNlu.load(tiny_model[0].out_dir, fallback_threshold=0.45)
    familiar = ["北京明天天气怎么样", "播放周杰伦的晴天", "打开微信", "给妈妈打个电话"]
    results = [nlu.parse(t) for t in familiar]
    assert [r["intent"]["name"] for r in results] == ["weather__query", "music__play", "app__launch", "telephone__call"]
    assert all(r["intent"]["confidence"] >= 0.45 for r in results)
    # An intent of a single example is still learned: its own sentence ranks it first.
    ranking = [r["name"] for r in nlu.parse("双色球开奖结果")["intent_ranking"] if r["name"] != FALLBACK_INTENT]
    assert ranking[0] == "lottery__query"


def test_training_names_the_intents_with_few_examples(tiny_model: tuple[TrainReport, list[str]]) -> None:
    report, messages = tiny_model
    assert report.few_examples == {"email__send": 1, "lottery__query": 1, "stock__query": 1}
    warned = " ".join(messages)
    assert all(name in warned for name in SINGLE)
    assert not any(name in warned for name in LARGE)


def test_train_command_warns_about_few_examples(tiny_data: Path, tmp_path: Path) -> None:
    env = {"MODEL_DIR": str(tmp_path / "models"), "LOG_LEVEL": "ERROR", "CATALOG_DIR": str(tmp_path / "none")}
    result = CliRunner().invoke(cli, ["train", "--nlu-data", str(tiny_data), "--out", str(tmp_path / "m")], env=env)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "stock__query (1)" in result.output
