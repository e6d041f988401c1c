"""Settings guard production; logs never carry phone or ID numbers in the clear."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from bot.config import Settings, weak_secret_reason
from bot.errors import ConfigurationError
from bot.logging_setup import MaskingFilter, mask_personal_data

STRONG = "q7Vf-2LxN_8sKd3PzRw9YtBm4HcJe6Ua"


@pytest.mark.parametrize("weak", ["Change-Me", "x", "12345678", "dev-secret-change-me", "a" * 40,
                                  "abcabcabcabcabcabcabcabcabcabcabcabc", "my-production-secret-0123456789abcdef"])
@pytest.mark.parametrize("environment", ["production", "test"])
def test_weak_secret_keys_are_refused_outside_development(weak: str, environment: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is too weak"):
        Settings(_env_file=None, environment=environment, secret_key=weak)  # type: ignore[call-arg]


def test_a_strong_key_is_accepted_and_the_default_environment_is_not_development() -> None:
    ok = Settings(_env_file=None, secret_key=STRONG)  # type: ignore[call-arg]
    assert ok.environment == "production"
    assert ok.signing_key() == STRONG.encode()


def test_without_a_key_no_server_starts_outside_development(tmp_path: Path) -> None:
    from bot.api.app import create_app

    settings = Settings(_env_file=None, var_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        settings.signing_key()
    with pytest.raises(ConfigurationError):
        create_app(SimpleNamespace(settings=settings))  # type: ignore[arg-type]
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_a_random_key_once_and_keeps_it(tmp_path: Path) -> None:
    dev = Settings(_env_file=None, environment="development", var_dir=tmp_path / "var")  # type: ignore[call-arg]
    first = dev.signing_key()
    assert len(first) >= 32 and weak_secret_reason(first.decode()) is None
    again = Settings(_env_file=None, environment="development", var_dir=tmp_path / "var")  # type: ignore[call-arg]
    assert again.signing_key() == first, "kept under var/, so console sessions survive a restart"
    other = Settings(_env_file=None, environment="development", var_dir=tmp_path / "elsewhere")  # type: ignore[call-arg]
    assert other.signing_key() != first, "generated, not a constant anyone can read in the source"
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0, "readable by its owner only"


def test_a_weak_webhook_secret_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings(_env_file=None, secret_key=STRONG, telegram_webhook_secret="hook")  # type: ignore[call-arg]


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
