"""`POST /model/parse` answers in Rasa's shape, fields Rasa adds included, so Rasa tooling reads it."""

from __future__ import annotations

import httpx

from bot.nlu.rasa_shape import text_tokens


def test_parse_has_rasa_fields(live: httpx.Client) -> None:
    text = "我想预约明天上午的助浴服务 电话13812345678"
    parse = live.post("/model/parse", json={"text": text}).json()
    assert parse["text"] == text and parse["intent"]["name"] == "book_service"
    assert {"name", "confidence"} <= set(parse["intent_ranking"][0])
    spans = parse["text_tokens"]
    assert [text[s:e] for s, e in spans][:4] == ["我", "想", "预", "约"]
    assert ["13812345678"] == [text[s:e] for s, e in spans if text[s:e].isdigit()], "a number is one token"
    date = next(e for e in parse["entities"] if e["entity"] == "date")
    assert text[date["start"]:date["end"]] == "明天"
    assert date["confidence_entity"] == 1.0
    assert date["processors"] == ["EntitySynonymMapper"], "明天 was normalised to a date"
    phone = next(e for e in parse["entities"] if e["entity"] == "phone")
    assert "processors" not in phone, "taken as written"


def test_tokens_cover_every_character_but_spaces() -> None:
    text = "嗯 那个 SMS验证码 123"
    covered = "".join(text[s:e] for s, e in text_tokens(text))
    assert covered == text.replace(" ", "")
