"""Retrieval over the catalog: passages, sparse and dense indexes, fusion, confidence, builds and reloads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from bot.config import Settings
from bot.errors import DataValidationError, ModelNotFoundError
from knowledge.dense import DenseIndex, choose_kind, recall_at_k
from knowledge.index_build import MANIFEST, ReloadingRetriever, build_index, load_retriever, publish_manifest
from knowledge.loader import load_catalog
from knowledge.passages import build_passages, service_passages, strip_placeholders, training_pairs
from knowledge.retriever import evaluate
from knowledge.sparse import NameIndex, Readings, SparseIndex, fold_syllable, name_keys, terms
from tests.knowledge.conftest import RETRIEVAL_FIXTURE, retrieval_settings

NOISE = ["天气怎么样", "今天天气怎么样", "股票", "这只股票能涨吗", "asdfgh", "😀😀", "hello how are you",
         "こんにちは", "给我讲个笑话", "123456", "", "   "]


def _top(result: Any) -> str:
    """The top service id of a search result ("" when nothing was found)."""
    return result.top.service_id if result.top is not None else ""


def _questions() -> list[dict[str, Any]]:
    return yaml.safe_load((RETRIEVAL_FIXTURE / "questions.yml").read_text(encoding="utf-8"))


# --- passages and training pairs -----------------------------------------------------------------------

def test_passages_cover_each_facet_and_keep_placeholders_for_the_caller() -> None:
    catalog = load_catalog(RETRIEVAL_FIXTURE / "catalog")
    passages = service_passages(catalog.by_id["elderly-allowance"])
    facets = [p.facet for p in passages]
    assert facets[:6] == ["name", "summary", "eligibility", "documents", "steps", "where"]
    assert facets.count("faq") == 2
    where = next(p for p in passages if p.facet == "where")
    assert "{service_center}" in where.text and "{" not in where.index_text
    cert = [p for p in service_passages(catalog.by_id["residence-certificate"]) if p.facet == "certificate"]
    assert len(cert) == 1 and "社区可以开具" in cert[0].text
    assert len(build_passages(catalog)) == sum(len(service_passages(s)) for s in catalog.services)


def test_strip_placeholders_leaves_plain_text() -> None:
    assert strip_placeholders("到{service_center}办理，电话{hotline}") == "到 办理，电话"


def test_training_pairs_point_at_name_passages_and_use_nlu_examples() -> None:
    catalog = load_catalog(RETRIEVAL_FIXTURE / "catalog")
    pairs = training_pairs(catalog, RETRIEVAL_FIXTURE / "nlu")
    positives = {p for _, p in pairs}
    assert positives <= {"；".join([s.name, *s.aliases]) for s in catalog.services}
    assert ("长寿金", "高龄津贴申领；高龄补贴；长寿金；老人补贴；尊老金") in pairs
    assert any(a == "家里揭不开锅了政府能管吗" for a, _ in pairs)  # an NLU example with a service entity
    assert not any("天气" in a for a, _ in pairs)  # out_of_scope examples carry no service


# --- sparse side ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("syllable", "folded"), [
    ("zhang", "zan"), ("chi", "ci"), ("shi", "si"), ("jing", "jin"), ("feng", "fen"), ("nao", "lao"),
    ("hu", "fu"), ("tie", "tie"),
])
def test_pinyin_folding_merges_accent_confusions(syllable: str, folded: str) -> None:
    assert fold_syllable(syllable) == folded


@pytest.fixture(scope="module")
def readings() -> Readings:
    return Readings.from_pypinyin()


def test_homophone_slip_shares_every_pinyin_term(readings: Readings) -> None:
    slip = {t for t in terms("高龄经贴", readings) if t.startswith("~")}
    assert slip and slip == {t for t in terms("高龄津贴", readings) if t.startswith("~")}


def test_a_saved_reading_table_reads_like_pypinyin(readings: Readings, tmp_path: Path) -> None:
    readings.save(tmp_path)
    loaded = Readings.load(tmp_path)
    sample = "高龄津贴经贴居住证低保长护险助浴足浴䶮𠀀a1"
    assert [loaded(c) for c in sample] == [readings(c) for c in sample]
    assert loaded("经") == loaded("津") and loaded("a") == "a"  # a homophone; a letter stands for itself
    assert len(loaded.syllables) > 20000  # every common character, not only the catalog's


def test_sparse_finds_elderly_allowance_from_a_speech_slip(readings: Readings) -> None:
    catalog = load_catalog(RETRIEVAL_FIXTURE / "catalog")
    passages = build_passages(catalog)
    index = SparseIndex.build([p.index_text for p in passages], readings)
    scores = index.scores("高龄经贴怎么领")
    assert passages[int(np.argmax(scores))].service_id == "elderly-allowance"
    assert 0.0 <= float(scores.min()) and float(scores.max()) <= 1.0
    assert not index.scores("asdfgh").any()


def test_name_index_prefers_the_longest_mention_and_hears_homophones(readings: Readings) -> None:
    names = NameIndex.build([name_keys("最低生活保障申请", ["低保"]), name_keys("低保边缘家庭认定", ["低保边缘"]),
                             name_keys("居住证办理", ["办居住证"]), name_keys("居住证明", [])], readings)
    assert names.scores("低保边缘户怎么认定", 4).argmax() == 1
    assert names.scores("低保边缘户怎么认定", 4)[0] == 0  # 低保 is part of the longer mention
    assert names.scores("开个居住证明", 4).tolist()[2:] == [0.0, 1.0]
    assert 0 < names.scores("居住正办下来要多久", 4)[2] < 1  # a homophone counts, less than the word


def test_a_name_with_digits_or_letters_is_heard_only_as_written(readings: Readings) -> None:
    names = NameIndex.build([name_keys("消费维权", ["打12315"]), name_keys("疫苗接种", ["HPV疫苗"])], readings)
    assert not names.scores("我想打个电话问问", 2).any()  # 打 alone names nothing
    assert names.scores("打12315投诉", 2)[0] == 1.0
    assert names.scores("hpv疫苗在哪打", 2)[1] > 0


# --- dense side ----------------------------------------------------------------------------------------

def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(n // 50, 1), dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.5 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_index_kind_is_chosen_by_size() -> None:
    assert [choose_kind(n) for n in (500, 100_000, 10_000_000)] == ["flat", "hnsw", "ivf"]
    assert choose_kind(5000, exact_limit=1000) == "hnsw"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_recall_at_10_matches_exact_search(kind: str, tmp_path: Path) -> None:
    vectors = _clustered(6000, 64, seed=1)
    queries = _clustered(200, 64, seed=2)
    exact = DenseIndex.build(vectors, kind="flat")
    approx = DenseIndex.build(vectors, kind=kind)  # type: ignore[arg-type]
    es, ei = exact.search(queries, 10)
    fs, fi = approx.search(queries, 10)
    assert recall_at_k(fi, ei, es, fs) >= 0.95
    approx.save(tmp_path)
    again = DenseIndex.load(tmp_path)
    assert again.kind == kind and np.array_equal(again.search(queries, 10)[1], fi)


# --- the built fixture index ---------------------------------------------------------------------------

def test_speech_slip_finds_elderly_allowance_confidently(fixture_retriever: Any) -> None:
    result = fixture_retriever.search("高龄经贴怎么领")
    assert _top(result) == "elderly-allowance"
    assert result.confident


def test_hits_are_one_per_service_with_scores_in_unit_interval(fixture_retriever: Any) -> None:
    hits = fixture_retriever.search("老人洗澡和吃饭的服务", k=5).hits
    assert 1 < len(hits) <= 5
    assert len({h.service_id for h in hits}) == len(hits)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.text and h.facet for h in hits)


def test_fusion_beats_dense_and_sparse_alone(fixture_retriever: Any) -> None:
    questions = _questions()
    dense, sparse, fused = (evaluate(fixture_retriever, questions, mode) for mode in ("dense", "sparse", "fused"))
    assert fused["mrr"] > dense["mrr"] and fused["mrr"] > sparse["mrr"]
    assert fused["top1"] >= max(dense["top1"], sparse["top1"])


@pytest.mark.parametrize("query", NOISE)
def test_noise_and_other_topics_are_not_confident(fixture_retriever: Any, query: str) -> None:
    assert not fixture_retriever.search(query).confident


def test_question_fitting_several_services_is_not_confident(fixture_retriever: Any) -> None:
    result = fixture_retriever.search("补贴怎么领")
    assert not result.confident
    offered = {h.service_id for h in result.hits[:3]}
    assert offered == {"elderly-allowance", "elderly-care-subsidy", "disability-two-subsidies"}


# --- builds, manifest and hot reload -------------------------------------------------------------------

def test_build_is_deterministic(fixture_index: tuple[Settings, Any], tmp_path: Path) -> None:
    again = build_index(retrieval_settings(tmp_path / "models"))
    assert again.version == fixture_index[1].version
    assert again.services == 12 and again.dense_kind == "flat"


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        load_retriever(retrieval_settings(tmp_path))


def _copy_index(settings: Settings, tmp_path: Path) -> Settings:
    target = retrieval_settings(tmp_path / "models")
    shutil.copytree(settings.index_dir, target.index_dir)
    return target


def test_reload_swaps_in_a_new_index_without_restart(fixture_index: tuple[Settings, Any], tmp_path: Path) -> None:
    settings = _copy_index(fixture_index[0], tmp_path)
    live = ReloadingRetriever(settings, check_seconds=0)
    assert _top(live.search("电动车在哪充电")) != "ev-charging"
    live.wait()  # that search's check found nothing new
    catalog = tmp_path / "catalog"
    shutil.copytree(RETRIEVAL_FIXTURE / "catalog", catalog)
    (catalog / "extra.yml").write_text(
        "services:\n  - id: ev-charging\n    name: 电动自行车集中充电\n    aliases: [电动车充电, 充电桩]\n"
        "    domain: 安全\n    kind: info\n    summary: 小区设有电动自行车集中充电点，禁止楼道和室内充电。\n"
        "    eligibility: {text: 本小区居民}\n    where: 小区集中充电棚\n    hours: 全天\n"
        "    last_reviewed: 2026-11-01\n", encoding="utf-8")
    report = build_index(retrieval_settings(settings.model_dir, catalog))
    # The search that notices the new version is answered from the index in place; it loads in the background.
    assert _top(live.search("电动车在哪充电")) != "ev-charging"
    live.wait()
    assert _top(live.search("电动车在哪充电")) == "ev-charging"
    assert live.version == report.version


def test_broken_new_index_keeps_the_last_good_one(fixture_index: tuple[Settings, Any], tmp_path: Path) -> None:
    settings = _copy_index(fixture_index[0], tmp_path)
    live = ReloadingRetriever(settings, check_seconds=3600)
    good = live.version
    root = Path(settings.index_dir)
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    broken = root / "v-broken"
    shutil.copytree(root / good, broken)
    (broken / "dense.faiss").write_bytes(b"not an index")
    publish_manifest(root, {**manifest, "version": "v-broken"})
    assert live.reload() is False
    publish_manifest(root, {**manifest, "version": "v-missing"})
    assert live.reload() is False
    assert live.version == good
    assert _top(live.search("低保怎么申请")) == "minimum-living-allowance"


def test_failed_build_leaves_the_published_index(fixture_index: tuple[Settings, Any], tmp_path: Path) -> None:
    settings = _copy_index(fixture_index[0], tmp_path)
    before = (Path(settings.index_dir) / MANIFEST).read_bytes()
    bad = tmp_path / "bad-catalog"
    bad.mkdir()
    (bad / "broken.yml").write_text("services:\n  - id: Not An Id\n", encoding="utf-8")
    with pytest.raises(DataValidationError):
        build_index(retrieval_settings(settings.model_dir, bad))
    assert (Path(settings.index_dir) / MANIFEST).read_bytes() == before
    assert not list(Path(settings.index_dir).glob(".build-*"))
    assert _top(load_retriever(settings).search("低保")) == "minimum-living-allowance"


# --- command line --------------------------------------------------------------------------------------

def _env(settings: Settings) -> dict[str, str]:
    return {"MODEL_DIR": str(settings.model_dir), "CATALOG_DIR": str(settings.catalog_dir),
            "NLU_DATA": str(settings.nlu_data), "ENCODER": "", "LOG_LEVEL": "INFO"}


def test_cli_evaluate_json_prints_only_the_result(fixture_index: tuple[Settings, Any]) -> None:
    from bot.cli import index as _  # noqa: F401 - registers the commands
    from bot.cli.base import cli

    result = CliRunner().invoke(
        cli, ["evaluate", "retrieval", "--data", str(RETRIEVAL_FIXTURE / "questions.yml"), "--json"],
        env=_env(fixture_index[0]),
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"top1", "top3", "mrr", "n", "misses"}
    assert payload["n"] == len(_questions()) and 0 < payload["mrr"] <= 1


def test_cli_index_builds_and_reports(tmp_path: Path) -> None:
    from bot.cli import index as _  # noqa: F401 - registers the commands
    from bot.cli.base import cli

    settings = retrieval_settings(tmp_path / "models")
    result = CliRunner().invoke(cli, ["index"], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "12 services" in result.stdout and "built in" in result.stdout
    assert (Path(settings.index_dir) / MANIFEST).exists()
