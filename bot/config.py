"""The one configuration object of Linli, read once from the environment and `.env`.

Every outside address (database, Telegram API, Rasa server, model path) is a setting here, so that
tests and deployments point Linli anywhere without touching code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev-secret-change-me"}


class Settings(BaseSettings):
    """Runtime settings; field names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'linli.db'}"
    model_dir: Path = PROJECT_ROOT / "models"
    nlu_data: Path = PROJECT_ROOT / "nlu_data"
    catalog_dir: Path = PROJECT_ROOT / "knowledge" / "catalog"
    communities_dir: Path = PROJECT_ROOT / "knowledge" / "communities"
    nlu_backend: Literal["embedded", "rasa"] = "embedded"
    rasa_url: str = "http://127.0.0.1:5005"
    # A sentence-transformers model name or path; empty means the encoder trained from our own data.
    encoder: str = ""
    # Add the sentence embedding (the encoder above) to the intent features; off by default because it
    # did not help on our data (see bot/nlu/embedding.py), on for deployments whose pretrained encoder does.
    nlu_embedding: bool = False
    nlu_fallback_threshold: float = 0.45
    retrieval_threshold: float = 0.42

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    speech_to_text_url: str | None = None

    default_community: str = "default"
    log_level: str = "INFO"
    secret_key: SecretStr = SecretStr("dev-secret-change-me")
    staff_token_hours: int = 12

    host: str = "127.0.0.1"
    port: int = 8000

    # Resident-facing limits.
    max_message_chars: int = Field(default=2000, description="longer messages are truncated before NLU")
    rate_limit_per_minute: int = 30
    # Channels where buttons cannot be tapped: their replies also carry the choices numbered, in the text
    # (terminal, SMS) or in the speech (voice). PLAIN_TEXT_CHANNELS=voice,cli,sms in the environment.
    plain_text_channels: Annotated[frozenset[str], NoDecode] = frozenset({"voice", "cli", "sms"})
    # How often booking reminders and rating requests are looked for.
    reminder_interval_seconds: float = 60.0

    @field_validator("plain_text_channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`voice,cli,sms` as the environment writes a set."""
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _reject_placeholder_secrets(self) -> Settings:
        """Refuse to run production with the development secret."""
        if self.environment == "production" and self.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
            raise ValueError("SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def nlu_model_dir(self) -> Path:
        """Where the embedded NLU model is written and read."""
        return self.model_dir / "nlu"

    @property
    def index_dir(self) -> Path:
        """Where the retrieval index is written and read."""
        return self.model_dir / "index"

    @property
    def encoder_dir(self) -> Path:
        """Where the encoder trained from our own data is written and read."""
        return self.model_dir / "encoder"
