"""Kinds of well-known names as intent features: found in normalised text, chosen by cross-validation,
stored with the model."""

from __future__ import annotations

from pathlib import Path

from bot.nlu.engine import EmbeddedNlu
from bot.nlu.gazetteer import DEFAULT_DIR, Gazetteer
from bot.nlu.pinyin import build_table
from bot.nlu.training import TrainOptions, choose_features, train_nlu

APPS = "金山词霸 凯立德 汤姆猫 钛备份 有道词典 高德地图 墨迹天气 美图秀秀 酷狗音乐 今日头条 支付宝 大众点评".split()
SONGS = "稻香 青花瓷 月亮代表我的心 茉莉花 夜来香 甜蜜蜜 后来 小苹果 童年 演员 南山南 东风破".split()


def _lists(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.txt").write_text("# apps\n" + "\n".join(APPS) + "\nCCTV5客户端\n", encoding="utf-8")
    (folder / "song.txt").write_text("# songs\n" + "\n".join(SONGS) + "\n", encoding="utf-8")
    return folder


def test_names_are_found_longest_first_in_normalised_text(tmp_path: Path) -> None:
    gaz = Gazetteer.load_dir(_lists(tmp_path / "gaz"))
    assert gaz.find("打开金山词霸") == [("app", 2, 6)]
    assert gaz.find("我想听月亮代表我的心") == [("song", 3, 10)]
    assert gaz.find("cctv5客户端打不开") == [("app", 0, 8)], "names are folded like the messages (case, width)"
    assert gaz.find("今天天气怎么样") == []


def test_latin_names_match_whole_words_and_numbers_are_not_names(tmp_path: Path) -> None:
    folder = _lists(tmp_path / "gaz")
    (folder / "website.txt").write_text("# sites\nps\n163\n", encoding="utf-8")
    gaz = Gazetteer.load_dir(folder)
    assert gaz.find("打开ps") == [("website", 2, 4)]
    assert gaz.find("打开apps列表") == [], "letters inside a longer word are not the name"
    assert gaz.find("我的电话13916312345") == [], "a number is never a name"


def test_a_message_that_is_only_a_name_says_so(tmp_path: Path) -> None:
    gaz = Gazetteer.load_dir(_lists(tmp_path / "gaz"))
    assert gaz.tokens("凯立德") == ["g:app", "g:app=all"]
    assert sorted(gaz.tokens("打开凯立德")) == ["g:app", "g:app=all"]
    assert gaz.tokens("帮我把凯立德导航打开吧") == ["g:app"]


def test_a_name_stands_as_one_symbol_and_wins_over_a_misread_entity(tmp_path: Path) -> None:
    gaz = Gazetteer.load_dir(_lists(tmp_path / "gaz"))
    # 稻香 misread as a person's name, 明天 a date after it: the name wins, the date moves with the text.
    text, spans = gaz.mask("明天放稻香给明天听", [("date", 0, 2), ("person_name", 3, 5), ("date", 6, 8)])
    assert text == "明天放Ⓖ给明天听"
    assert spans == [("date", 0, 2), ("date", 5, 7)]
    assert text[5:7] == "明天"
    assert gaz.mask("今天天气怎么样", [("date", 0, 2)]) == ("今天天气怎么样", [("date", 0, 2)])


def test_the_shipped_lists_load_and_hold_each_kind() -> None:
    gaz = Gazetteer.load_dir(DEFAULT_DIR)
    kinds = {k for ks in gaz.names.values() for k in ks}
    assert {"app", "place", "song", "tv_channel", "dish"} <= kinds
    assert all(len(name) >= 2 and " " not in name for name in gaz.names)


def test_training_uses_the_lists_where_they_tell_intents_apart(tmp_path: Path) -> None:
    # Bare names: nothing in the characters says app or song, only knowing the names does.
    texts = APPS[:8] + SONGS[:8]
    labels = ["app_launch"] * 8 + ["music_play"] * 8
    gaz = Gazetteer.load_dir(_lists(tmp_path / "gaz"))
    chosen = choose_features(texts, [[] for _ in texts], labels, build_table("".join(APPS + SONGS)),
                             TrainOptions(), seed=3, gazetteer=gaz)
    assert chosen.vectorizer.cfg.gazetteer is True
    assert chosen.accuracies["mask_entities=True gazetteer"] > chosen.accuracies["mask_entities=True"]


def test_a_trained_model_keeps_its_lists_and_reads_unseen_names(tmp_path: Path) -> None:
    data = tmp_path / "nlu.yml"
    data.write_text('version: "3.1"\nnlu:\n'
                    + "- intent: app_launch\n  examples: |\n" + "".join(f"    - {a}\n" for a in APPS[:8])
                    + "- intent: music_play\n  examples: |\n" + "".join(f"    - {s}\n" for s in SONGS[:8]),
                    encoding="utf-8")
    lists = _lists(tmp_path / "gaz")
    report = train_nlu(data, tmp_path / "model", seed=3, options=TrainOptions(gazetteer_dir=lists))
    for path in lists.glob("*.txt"):
        path.unlink()  # parsing reads the lists stored with the model, not the files
    nlu = EmbeddedNlu.load(report.out_dir)
    assert [nlu.parse(a)["intent_ranking"][0]["name"] for a in APPS[8:]] == ["app_launch"] * 4
    assert [nlu.parse(s)["intent_ranking"][0]["name"] for s in SONGS[8:]] == ["music_play"] * 4
