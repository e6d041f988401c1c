"""Every export of resident text carries no phone or ID number: the NLU corrections file and the text a
retraining learns from. What the file keeps instead still reads like residents' messages to the NLU."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.backend.models import NluCorrection
from bot.backend.nlu_review import export_yaml
from bot.config import Settings
from bot.nlu.entities.contact import find_phones
from bot.nlu.training_data import load_training_data
from tests.console.conftest import ConsoleServer
from tests.console.helpers import console_client, page_csrf
from tests.console.review_seeds import seed_message
from tests.factories import make_staff

MOBILE = "13812345678"
ID = "110101195001011234"
RAW = (MOBILE, ID, "19500101", "1234 5678", "幺二三四五六七八")


def _no_raw_numbers(text: str) -> None:
    for raw in RAW:
        assert raw not in text, raw


def _phone(text: str) -> dict[str, object]:
    at = text.find(MOBILE)
    return {"entity": "phone", "value": MOBILE, "start": at, "end": at + len(MOBILE)}


def test_the_export_and_the_retraining_get_numbers_zeroed_in_shape(console: ConsoleServer, tmp_path: Path) -> None:
    pw = make_staff(console.database_url, "boss", None, role="admin")
    typed = f"帮我查下工单，电话{MOBILE}，身份证{ID}"
    spoken = "我电话幺三八幺二三四五六七八想查预约"
    first = seed_message(console.database_url, "default", typed, confidence=0.3, entities=[_phone(typed)])
    second = seed_message(console.database_url, "default", spoken, confidence=0.3,
                          entities=[{"entity": "phone", "value": MOBILE, "start": 3, "end": 14}])
    texts: list[str] = []

    def retrain(settings: Settings, text: str, out_root: Path) -> dict[str, Any]:
        texts.append(text)
        return {"model_dir": str(out_root / "nlu-new"), "measured_on": "留出测试集", "examples": 1,
                "corrections": 2, "before": 0.5, "after": 0.5}

    console.app.state.console_retrain = retrain
    with console_client(console.url, "boss", pw) as boss:
        page = boss.get("/console/nlu").text
        _no_raw_numbers(page)
        assert "电话138****5678" in page and "110***********1234" in page and "phone=138****5678" in page
        csrf = page_csrf(boss, "/console/nlu")
        # Staff see the number masked and type it as they see it: it stands for the number found there.
        for msg, intent in ((first, "check_status"), (second, "check_status")):
            r = boss.post(f"/console/nlu/messages/{msg.message_id}/correct",
                          data={"csrf": csrf, "intent": intent, "entities": "phone=138****5678"})
            assert r.status_code == 303, r.text
        done = boss.get("/console/nlu").text
        _no_raw_numbers(done)
        exported = boss.get("/console/nlu/export").text
        assert boss.post("/console/nlu/retrain", data={"csrf": csrf}).status_code == 303
        for _ in range(100):
            if texts:
                break
            time.sleep(0.05)

    for text in (exported, *texts):
        _no_raw_numbers(text)
    assert texts == [exported]
    assert '电话[13800000000]{"entity": "phone", "value": "13800000000"}，身份证000000000000000000' in exported
    assert '我电话[幺三八零零零零零零零零]{"entity": "phone", "value": "13800000000"}想查预约' in exported
    (tmp_path / "corrections.yml").write_text(exported, encoding="utf-8")
    examples = load_training_data(tmp_path / "corrections.yml").examples
    assert sorted(e.intent for e in examples) == ["check_status", "check_status"]
    for example in examples:
        [entity] = example.entities
        assert (entity.entity, entity.value) == ("phone", "13800000000")
    # Still a phone number to the extractor, so the model learns the example as residents write it.
    assert [f.value for f in find_phones(examples[0].text)] == ["13800000000"]


def test_entity_offsets_survive_the_zeroing_whatever_the_separators() -> None:
    text = "电话138 1234 5678，座机0571-88880000"
    rows = [NluCorrection(text=text, intent="inform", entities=[
        {"entity": "phone", "value": MOBILE, "start": 2, "end": 15},
        {"entity": "phone", "value": "057188880000", "start": 18, "end": 31},
    ])]
    out = export_yaml(rows)
    assert '[138 0000 0000]{"entity": "phone", "value": "13800000000"}' in out
    assert '[0571-00000000]{"entity": "phone", "value": "057100000000"}' in out
    assert "8888" not in out and "1234" not in out
