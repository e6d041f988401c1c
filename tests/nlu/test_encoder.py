"""The static-embedding encoder: trained from our own pairs, deterministic, offline."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu.encoder import _batches, build_tokenizer, load_encoder, spaced_chars, train_encoder

PAIRS = [
    ("高龄补贴", "高龄津贴申领；长寿金"),
    ("长寿金怎么领", "高龄津贴申领；长寿金"),
    ("老人满八十岁每月发钱", "高龄津贴申领；长寿金"),
    ("低保怎么申请", "最低生活保障申请；低保"),
    ("家里收入低吃低保", "最低生活保障申请；低保"),
    ("老年食堂几点开饭", "社区长者食堂助餐；长者食堂"),
    ("老人去哪吃饭", "社区长者食堂助餐；长者食堂"),
    ("楼道灯坏了", "公共设施报修；报修"),
    ("路灯不亮找谁", "公共设施报修；报修"),
    ("签家庭医生", "家庭医生签约；家庭医生"),
]


def test_training_is_deterministic_for_same_pairs_and_seed(tmp_path: Path) -> None:
    a = train_encoder(PAIRS, tmp_path / "a", seed=7, epochs=3)
    b = train_encoder(list(reversed(PAIRS)), tmp_path / "b", seed=7, epochs=3)
    c = train_encoder(PAIRS, tmp_path / "c", seed=8, epochs=3)
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "b" / "tokenizer.json").read_bytes()
    texts = ["高龄经贴", "低保"]
    assert np.array_equal(a.encode(texts), b.encode(texts))
    assert not np.array_equal(a.encode(texts), c.encode(texts))


def test_saved_encoder_loads_and_encodes_the_same(tmp_path: Path) -> None:
    model = train_encoder(PAIRS, tmp_path / "enc", epochs=3)
    loaded = load_encoder(tmp_path / "enc")
    texts = ["长寿金", "老年食堂在哪", "路灯坏了"]
    assert np.allclose(model.encode(texts), loaded.encode(texts))
    assert loaded.get_embedding_dimension() == model.get_embedding_dimension()


def test_training_pulls_anchors_towards_their_positive(tmp_path: Path) -> None:
    model = train_encoder(PAIRS, tmp_path / "enc", epochs=8)
    q = model.encode(["老人吃饭"], normalize_embeddings=True)
    docs = model.encode(["社区长者食堂助餐；长者食堂", "公共设施报修；报修"], normalize_embeddings=True)
    sims = (docs @ q.T).ravel()
    assert sims[0] > sims[1]


def test_text_the_encoder_never_saw_is_the_zero_vector(tmp_path: Path) -> None:
    model = train_encoder(PAIRS, tmp_path / "enc", epochs=1)
    vecs = model.encode(["😀😀", "asdfgh", "高龄津贴"], normalize_embeddings=True)
    assert not vecs[0].any() and not vecs[1].any()
    assert np.isclose(np.linalg.norm(vecs[2]), 1.0, atol=1e-5)


def test_tokenizer_has_characters_and_frequent_words() -> None:
    tok = build_tokenizer(["高龄津贴申领", "高龄津贴怎么领", "低保申请", "申请低保", "每月12号发"])
    assert tok.encode("高龄津贴", add_special_tokens=False).tokens == ["高龄", "津贴"]
    # A homophone slip falls back to characters instead of becoming unknown.
    assert tok.encode("高龄经贴", add_special_tokens=False).tokens[0] == "高龄"
    # Full-width folds to half-width; Latin letters count only as whole known words.
    enc = tok.encode("ＡＢＣ１２", add_special_tokens=False)
    assert enc.ids[0] == tok.token_to_id("[UNK]") == 0
    assert enc.tokens[1:] == ["12"]


def test_spaced_chars_splits_only_chinese() -> None:
    assert spaced_chars("办app社保卡12").split() == ["办", "app", "社", "保", "卡", "12"]


def test_too_few_pairs_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        train_encoder([("a", "b")], tmp_path / "enc")


def test_unknown_model_name_fails_fast_without_network() -> None:
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - whichever error the hub client raises when offline
        load_encoder("linli-test/no-such-model")
    assert time.monotonic() - started < 10


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("pqrstu")), min_size=2, max_size=60))
def test_batches_never_hold_two_pairs_with_one_positive(pairs: list[tuple[str, str]]) -> None:
    for batch in _batches(pairs, random.Random(0), size=4):
        positives = [p for _, p in batch]
        assert len(positives) == len(set(positives))
        assert 1 < len(batch) <= 4
