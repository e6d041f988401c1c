"""The numpy encoder gives sentence-transformers' vectors; index files are memory-mapped, results unchanged."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.config import Settings
from bot.nlu.encoder import load_encoder
from bot.nlu.static_encoder import StaticEmbeddingEncoder, is_static_embedding
from knowledge.dense import DenseIndex
from knowledge.index_build import load_dense

EDGE_CASES = [
    "",
    " ",
    "\n\t",
    "😀😀",
    "🏠 社区食堂 🍚",
    "asdfgh",
    "ＡＢＣ１２３",
    "\x00\ufffd",
    "𠀀𪚥𫠝",  # characters no catalog uses
    "مرحبا بالعالم",
    "e\u0301",
    "高龄津贴怎么领" * 400,
    "，。！？",
    "wifi密码忘了",
    "12345",
]


def _encoder_dir(fixture_index: tuple[Settings, Any]) -> Path:
    settings, report = fixture_index
    return Path(settings.index_dir) / report.version / "encoder"


def _texts(fixture_index: tuple[Settings, Any]) -> list[str]:
    """Catalog passages, pieces of them, random Chinese text (mostly unseen characters) and the edge cases."""
    settings, report = fixture_index
    rows = json.loads((Path(settings.index_dir) / report.version / "passages.json").read_text(encoding="utf-8"))
    passages = [str(r["text"]) for r in rows]
    rng = random.Random(3)
    pieces = []
    for _ in range(150):
        text = rng.choice(passages)
        start = rng.randrange(len(text))
        pieces.append(text[start : start + rng.randrange(1, 20)])
    mixed = ["".join(chr(rng.randrange(0x4E00, 0x9FA6)) for _ in range(rng.randrange(1, 30))) for _ in range(100)]
    return passages + pieces + mixed + EDGE_CASES


@pytest.mark.parametrize("normalize", [True, False])
def test_numpy_encoder_gives_the_vectors_sentence_transformers_gives(
    fixture_index: tuple[Settings, Any], normalize: bool
) -> None:
    from sentence_transformers import SentenceTransformer

    path = _encoder_dir(fixture_index)
    texts = _texts(fixture_index)
    assert len(texts) > 300
    reference = SentenceTransformer(str(path), device="cpu").encode(
        texts, normalize_embeddings=normalize, convert_to_numpy=True, show_progress_bar=False, batch_size=64
    )
    ours = StaticEmbeddingEncoder.load(path).encode(
        texts, normalize_embeddings=normalize, convert_to_numpy=True, show_progress_bar=False, batch_size=64
    )
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert float(np.max(np.abs(ours - reference))) < 1e-5
    # Text with no known token is the zero vector in both, normalised or not.
    unknown = [texts.index(t) for t in ("", "😀😀", "asdfgh")]
    assert not ours[unknown].any()


def test_one_string_gives_one_vector_and_batch_size_does_not_change_it(fixture_index: tuple[Settings, Any]) -> None:
    encoder = StaticEmbeddingEncoder.load(_encoder_dir(fixture_index))
    one = encoder.encode("老人去哪吃饭", normalize_embeddings=True)
    assert one.shape == (encoder.get_embedding_dimension(),)
    assert np.isclose(np.linalg.norm(one), 1.0, atol=1e-5)
    texts = _texts(fixture_index)
    assert np.array_equal(encoder.encode(texts, batch_size=1), encoder.encode(texts, batch_size=1000))


def test_load_encoder_runs_a_trained_encoder_with_numpy(fixture_index: tuple[Settings, Any]) -> None:
    encoder = load_encoder(_encoder_dir(fixture_index))
    assert isinstance(encoder, StaticEmbeddingEncoder)
    # The table is mapped from the file, not copied: workers on one machine share its pages.
    mapped = Path("/proc/self/maps").read_text()
    assert str((_encoder_dir(fixture_index) / "model.safetensors").resolve()) in mapped


def _with_normalize_module(src: Path, out: Path) -> Path:
    """The same encoder saved with a Normalize module after it."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    static = SentenceTransformer(str(src), device="cpu")[0]
    SentenceTransformer(modules=[static, Normalize()], device="cpu").save(str(out))
    return out


def _with_query_prompt(src: Path, out: Path) -> Path:
    shutil.copytree(src, out)
    config_path = out / "config_sentence_transformers.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["prompts"] = {"query": "问：", "document": ""}
    config["default_prompt_name"] = "query"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    return out


@pytest.mark.parametrize("variant", [_with_normalize_module, _with_query_prompt])
def test_other_models_are_left_to_sentence_transformers(
    fixture_index: tuple[Settings, Any], tmp_path: Path, variant: Any
) -> None:
    from sentence_transformers import SentenceTransformer

    path = variant(_encoder_dir(fixture_index), tmp_path / "model")
    assert not is_static_embedding(path)
    encoder = load_encoder(path)
    assert isinstance(encoder, SentenceTransformer)


def test_a_directory_without_weights_is_not_taken_for_a_static_model(
    fixture_index: tuple[Settings, Any], tmp_path: Path
) -> None:
    path = shutil.copytree(_encoder_dir(fixture_index), tmp_path / "model")
    (path / "model.safetensors").unlink()
    assert not is_static_embedding(path)


def _clustered(n: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((40, dim))
    return (centres[rng.integers(0, 40, n)] + 0.3 * rng.standard_normal((n, dim))).astype(np.float32)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_memory_mapped_dense_index_finds_what_the_loaded_one_finds(kind: str, tmp_path: Path) -> None:
    vectors = _clustered(3000, 32)
    DenseIndex.build(vectors, kind=kind).save(tmp_path)  # type: ignore[arg-type]
    queries = _clustered(50, 32)
    expected = DenseIndex.load(tmp_path).search(queries, 10)
    mapped = load_dense(tmp_path)
    assert mapped.kind == kind and mapped.size == 3000
    assert str((tmp_path / "dense.faiss").resolve()) in Path("/proc/self/maps").read_text()
    scores, ids = mapped.search(queries, 10)
    assert np.array_equal(ids, expected[1]) and np.array_equal(scores, expected[0])
