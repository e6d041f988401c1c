"""NLU review in the console: the list, corrections, Rasa YAML export, retraining in the background."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from bot.config import Settings
from bot.nlu.training_data import load_training_data
from tests.conftest import db_rows
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf
from tests.console.review_seeds import seed_message
from tests.factories import make_staff


def test_list_shows_confident_readings_the_resident_disputed(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    wrong = seed_message(console.database_url, "default", "助浴多少钱一次", intent="book_service", confidence=0.93,
                         then="不对 我是问价钱")
    fine = seed_message(console.database_url, "default", "助浴怎么预约", intent="book_service", confidence=0.93,
                        then="谢谢", then_intent="thank")
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/nlu").text
        assert f'data-message="{wrong.message_id}" data-why="said_wrong"' in page
        assert "居民随后说“不对”" in page and "置信度 93%" in page
        assert f'data-message="{fine.message_id}"' not in page
        r = zhang.post(f"/console/nlu/messages/{wrong.message_id}/correct",
                       data={"csrf": page_csrf(zhang, "/console/nlu"), "intent": "ask_service_info",
                             "entities": "service=助浴"})
        assert r.status_code == 303
        assert f'data-message="{wrong.message_id}"' not in zhang.get("/console/nlu").text


def test_list_shows_low_confidence_and_fallback_messages_of_own_community(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    seed_message(console.database_url, "default", "那个高龄经贴咋弄啊", intent="ask_service_info", confidence=0.3)
    seed_message(console.database_url, "default", "嗯嗯就是那个事", intent="nlu_fallback", confidence=0.9)
    seed_message(console.database_url, "default", "我要预约助浴", intent="book_service", confidence=0.95)
    seed_message(console.database_url, "qinghe-village", "村里的消息", confidence=0.1)
    with console_client(console.url, "zhang", pw) as zhang:
        page = zhang.get("/console/nlu")
        assert page.status_code == 200
        html = page.text
        assert "那个高龄经贴咋弄啊" in html and "嗯嗯就是那个事" in html
        assert "我要预约助浴" not in html and "村里的消息" not in html
        assert html.index("嗯嗯就是那个事") < html.index("那个高龄经贴咋弄啊")  # newest first
        assert 'value="ask_eligibility"' in html and 'value="nlu_fallback"' not in html
        assert "重新训练需要管理员操作" in html


def test_correction_is_saved_audited_and_exported_as_rasa_yaml(console: ConsoleServer, tmp_path: Path) -> None:
    pw = make_staff(console.database_url, "zhang", "default")
    msg = seed_message(console.database_url, "default", "那个高龄经贴 [明天] 咋弄啊", confidence=0.3,
                       entities=[{"entity": "service", "value": "elderly-allowance", "start": 2, "end": 6}])
    other = seed_message(console.database_url, "default", "嗯那个啥")
    path = f"/console/nlu/messages/{msg.message_id}/correct"
    with console_client(console.url, "zhang", pw) as zhang:
        csrf = page_csrf(zhang, "/console/nlu")
        bad = zhang.post(path, data={"csrf": csrf, "intent": "no_such_intent"})
        assert bad.status_code == 422 and "请从列表中选择" in bad.text
        bad = zhang.post(path, data={"csrf": csrf, "intent": "ask_service_info", "entities": "colour=红"})
        assert bad.status_code == 422 and "没有「colour」这种实体" in bad.text and "colour=红" in bad.text
        r = zhang.post(path, data={"csrf": csrf, "intent": "ask_service_info",
                                   "entities": "service=elderly-allowance，date=明天"})
        assert r.status_code == 303
        assert zhang.post(f"/console/nlu/messages/{other.message_id}/dismiss", data={"csrf": csrf}).status_code == 303
        page = zhang.get("/console/nlu").text
        assert 'data-message="' not in page and "已纠错 1 条" in page
        exported = zhang.get("/console/nlu/export")
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    text = exported.text
    assert text.startswith('version: "3.1"') and "- intent: ask_service_info" in text and "examples: |" in text
    assert '[高龄经贴]{"entity": "service", "value": "elderly-allowance"}' in text
    (tmp_path / "corrections.yml").write_text(text, encoding="utf-8")
    data = load_training_data(tmp_path / "corrections.yml")
    [example] = data.examples
    assert example.intent == "ask_service_info" and example.text == "那个高龄经贴 【明天】 咋弄啊"
    spans = {(e.entity, e.text, e.value) for e in example.entities}
    assert spans == {("service", "高龄经贴", "elderly-allowance"), ("date", "明天", "明天")}
    assert db_rows(console.database_url, "SELECT reviewed FROM messages ORDER BY id") == [(1,), (1,)]
    rows = db_rows(console.database_url, "SELECT intent, community_id FROM nlu_corrections")
    assert [r.intent for r in rows] == ["ask_service_info"]
    actions = [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["login", "nlu_correction", "nlu_dismiss"]


def test_another_communitys_message_is_not_found_and_posts_are_guarded(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "li", "qinghe-village")
    msg = seed_message(console.database_url, "default", "幸福里居民的话")
    path = f"/console/nlu/messages/{msg.message_id}"
    with httpx.Client(base_url=console.url) as anonymous:
        for get in ("/console/nlu", "/console/nlu/export"):
            assert anonymous.get(get).headers["location"] == "/console/login"
        for post in (f"{path}/correct", f"{path}/dismiss", "/console/nlu/retrain"):
            assert anonymous.post(post, data={"csrf": "x"}).headers["location"] == "/console/login"
    with console_client(console.url, "li", pw) as li:
        csrf = page_csrf(li)
        assert li.post(f"{path}/correct", data={"csrf": csrf, "intent": "greet"}).status_code == 404
        assert li.post(f"{path}/dismiss", data={"csrf": csrf}).status_code == 404
        for post in (f"{path}/correct", f"{path}/dismiss", "/console/nlu/retrain"):
            assert li.post(post, data={"csrf": "0" * 64, "intent": "greet"}).status_code == 403
        assert li.post("/console/nlu/retrain", data={"csrf": csrf}).status_code == 403  # staff, not admin
        assert "幸福里居民的话" not in li.get("/console/nlu/export").text
    assert db_rows(console.database_url, "SELECT reviewed FROM messages") == [(0,)]
    assert db_rows(console.database_url, "SELECT count(*) FROM nlu_corrections") == [(0,)]


def _wait_for(client: httpx.Client, path: str, status: str) -> str:
    for _ in range(100):
        page = client.get(path).text
        if f'data-status="{status}"' in page:
            return page
        time.sleep(0.05)
    raise AssertionError(f"job never reached {status}")


def test_admin_retrains_in_the_background_and_sees_both_figures(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    seed_message(console.database_url, "default", "高龄经贴")
    calls: list[tuple[str, Path]] = []

    def fake(settings: Settings, text: str, out_root: Path) -> dict[str, Any]:
        calls.append((text, out_root))
        time.sleep(0.3)
        return {"model_dir": str(out_root / "nlu-new"), "measured_on": "nlu_heldout_a.yml（留出测试集）",
                "examples": 120, "corrections": 1, "before": 0.85, "after": 0.875}

    console.app.state.console_retrain = fake
    with console_client(console.url, "boss", pw) as boss:
        csrf = page_csrf(boss, "/console/nlu")
        boss.post("/console/nlu/messages/1/correct", data={"csrf": csrf, "intent": "ask_service_info"})
        assert boss.post("/console/nlu/retrain", data={"csrf": csrf}).status_code == 303
        assert 'data-status="运行中"' in boss.get("/console/nlu").text
        assert boss.post("/console/nlu/retrain", data={"csrf": csrf}).status_code == 303  # not started twice
        page = _wait_for(boss, "/console/nlu", "完成")
        assert "85.0%" in page and "87.5%" in page and "nlu-new" in page
    assert len(calls) == 1 and "- intent: ask_service_info" in calls[0][0]
    assert calls[0][1].name == "candidates"
    actions = [a.action for a in db_rows(console.database_url, "SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("nlu_retrain") == 1


def test_a_failed_retrain_says_so(console: ConsoleServer) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")

    def broken(settings: Settings, text: str, out_root: Path) -> dict[str, Any]:
        raise RuntimeError("磁盘已满")

    console.app.state.console_retrain = broken
    with console_client(console.url, "boss", pw) as boss:
        boss.post("/console/nlu/retrain", data={"csrf": page_csrf(boss, "/console/nlu")})
        assert "磁盘已满" in _wait_for(boss, "/console/nlu", "失败")


def test_retrain_writes_a_new_model_and_measures_it(tmp_path: Path) -> None:
    """The real retraining on a small data set: new folder, corrections learnt, live model untouched."""
    from bot.console.retrain import retrain

    data = tmp_path / "nlu_data"
    (data / "nlu").mkdir(parents=True)
    examples = {"greet": ["你好", "您好", "早上好", "喂你好", "哈喽"],
                "goodbye": ["再见", "拜拜", "回头见", "先这样吧再见", "下次聊"],
                "ask_service_info": ["高龄津贴怎么办", "低保怎么申请", "助浴服务怎么预约", "居住证怎么办",
                                     "医保怎么交"]}
    blocks = "".join(f"- intent: {i}\n  examples: |\n" + "".join(f"    - {e}\n" for e in ex)
                     for i, ex in examples.items())
    (data / "nlu" / "base.yml").write_text(f'version: "3.1"\nnlu:\n{blocks}', encoding="utf-8")
    corrections = 'version: "3.1"\nnlu:\n- intent: ask_service_info\n  examples: |\n    - 那个高龄经贴咋弄\n'
    settings = Settings(_env_file=None, environment="test", nlu_data=data, model_dir=tmp_path / "models")  # type: ignore[call-arg]
    started = time.perf_counter()
    result = retrain(settings, corrections, tmp_path / "candidates", heldout=tmp_path / "missing.yml")
    assert time.perf_counter() - started < 120
    out = Path(result["model_dir"])
    assert out.parent == tmp_path / "candidates" and (out / "meta.json").exists()
    assert result["before"] is None  # no live model in this folder
    assert result["corrections"] == 1 and result["examples"] == 1 and result["after"] is not None
    assert not (tmp_path / "models" / "nlu").exists()
