"""Training chooses entity masking by cross-validation: off where the entity spans hide what tells intents
apart (SMP2019's city names read as people's names), on otherwise; a tie keeps the configured setting."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu import training
from bot.nlu.classifier import intent_labels, out_of_fold
from bot.nlu.features import FeatureConfig, Vectorizer, tokens
from bot.nlu.pinyin import build_table
from bot.nlu.training import TrainOptions, choose_features

DRINKS = "咖啡 奶茶 果汁 可乐 豆浆 牛奶 绿茶 红茶 雪碧 酸奶 椰汁 柠檬水".split()
FOODS = "面条 米饭 包子 饺子 馒头 油条 烧饼 馄饨 米粉 炒饭 煎饼 粽子".split()


def _spans_over_item(texts: list[str]) -> list[list[tuple[str, int, int]]]:
    """A span over everything after 来一个, as entity rules that misread the decisive word would give."""
    return [[("location", 3, len(t))] for t in texts]


def test_masking_is_switched_off_when_the_masks_hide_the_intent() -> None:
    texts = [f"来一个{w}" for w in DRINKS] + [f"来一个{w}" for w in FOODS]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS)
    table = build_table("".join(texts))

    chosen = choose_features(texts, _spans_over_item(texts), labels, table, TrainOptions(), seed=3)

    assert chosen.vectorizer.cfg.mask_entities is False
    assert chosen.accuracies["mask_entities=False"] > chosen.accuracies["mask_entities=True"]
    assert chosen.oof.scores.shape == (len(texts), 2) and chosen.oof.usable.all()


def test_masking_stays_on_when_it_makes_no_difference() -> None:
    texts = [f"我想喝{w}" for w in DRINKS] + [f"我想吃{w}" for w in FOODS]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS)
    table = build_table("".join(texts))

    chosen = choose_features(texts, [[] for _ in texts], labels, table, TrainOptions(), seed=3)

    assert chosen.vectorizer.cfg.mask_entities is True
    assert set(chosen.accuracies) == {"mask_entities=True", "mask_entities=False"}


def test_without_the_choice_the_configured_features_are_kept() -> None:
    texts = [f"来一个{w}" for w in DRINKS] + [f"来一个{w}" for w in FOODS]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS)
    table = build_table("".join(texts))

    options = TrainOptions(choose_masking=False)
    chosen = choose_features(texts, _spans_over_item(texts), labels, table, options, seed=3)

    assert chosen.vectorizer.cfg.mask_entities is True
    assert list(chosen.accuracies) == ["mask_entities=True"]


def test_out_of_fold_accuracy_leaves_out_intents_no_fold_could_know() -> None:
    # 来一个汉堡 is the only example of its intent: a model trained without it cannot answer it, so it
    # says nothing about which features are better, and it must not count against either.
    texts = [f"我想喝{w}" for w in DRINKS] + [f"我想吃{w}" for w in FOODS] + ["来一个汉堡"]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS) + ["unclear"]
    cfg = FeatureConfig()
    table = build_table("".join(texts))
    docs = [tokens(t, table, cfg) for t in texts]
    x = Vectorizer.fit(docs, cfg).transform(docs)

    oof = out_of_fold(x, labels, seed=3)

    held_out = np.concatenate([te for _, te in oof.splits])
    assert sorted(held_out.tolist()) == list(range(len(texts)))  # every sentence scored once, unseen
    assert oof.usable.tolist() == [True] * (len(texts) - 1) + [False]
    _, y = intent_labels(labels)
    assert oof.accuracy(y) == 1.0


def test_a_gain_within_the_noise_keeps_the_configured_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"来一个{w}" for w in DRINKS] + [f"来一个{w}" for w in FOODS]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS)
    table = build_table("".join(texts))
    chosen = choose_features(texts, _spans_over_item(texts), labels, table, TrainOptions(), seed=3)
    gain = chosen.accuracies["mask_entities=False"] - chosen.accuracies["mask_entities=True"]

    monkeypatch.setattr(training, "MIN_GAIN", gain + 0.01)
    kept = choose_features(texts, _spans_over_item(texts), labels, table, TrainOptions(), seed=3)

    assert kept.vectorizer.cfg.mask_entities is True, "not worth leaving the configured setting for"


def test_on_small_data_the_choice_rests_on_several_deals_of_the_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [f"来一个{w}" for w in DRINKS] + [f"来一个{w}" for w in FOODS]
    labels = ["order_drink"] * len(DRINKS) + ["order_food"] * len(FOODS)
    table = build_table("".join(texts))
    seeds: list[int] = []
    real = training.out_of_fold

    def counting(x: object, labels: list[str], **kw: object) -> object:
        seeds.append(int(kw["seed"]))  # type: ignore[call-overload]
        return real(x, labels, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "out_of_fold", counting)
    chosen = choose_features(texts, _spans_over_item(texts), labels, table, TrainOptions(), seed=3)
    assert seeds == [3, 103, 203] * 2, "24 sentences: three deals for each of the two settings"
    _, y = intent_labels(labels)
    by_deal = [real(chosen.x, labels, seed=s, c=TrainOptions().c).accuracy(y) for s in (3, 103, 203)]
    assert abs(chosen.accuracies["mask_entities=False"] - sum(by_deal) / 3) < 1e-9

    seeds.clear()
    monkeypatch.setattr(training, "CHOICE_EXAMPLES", len(texts))
    choose_features(texts, _spans_over_item(texts), labels, table, TrainOptions(), seed=3)
    assert seeds == [3, 3], "enough sentences: one deal each"
