"""Settings guard production; logs never carry phone or ID numbers in the clear."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logging_setup import MaskingFilter, mask_personal_data


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, environment="production")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, environment="production", secret_key="a-real-long-random-secret")  # type: ignore[call-arg]
    assert ok.environment == "production"


def test_every_address_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:5005")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/linli")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.telegram_api_base_url, s.rasa_url, s.database_url) == (
        "http://127.0.0.1:9/bot", "http://127.0.0.1:5005", "postgresql://u@db/linli")


@pytest.mark.parametrize(
    ("raw", "kept", "hidden"),
    [
        ("电话13812345678", "138****5678", "13812345678"),
        ("电话 138 1234 5678", "138****5678", "1234"),
        ("身份证110101195001011234", "1234", "19500101"),
        ("座机0571-88880000", "0571-****0000", "8888"),
    ],
)
def test_personal_numbers_are_masked(raw: str, kept: str, hidden: str) -> None:
    masked = mask_personal_data(raw)
    assert kept in masked and hidden not in masked


def test_log_records_are_masked_whatever_wrote_them(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("linli.test")
    record = logger.makeRecord("linli.test", logging.INFO, __file__, 1, "resident %s phoned from %s",
                               ("王阿姨", "13912345678"), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "resident 王阿姨 phoned from 139****5678"
