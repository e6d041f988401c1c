"""The one configuration object of Linli, read once from the environment and `.env`.

Every outside address (database, Telegram API, Rasa server, model path) is a setting here, so that
tests and deployments point Linli anywhere without touching code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets outside development: long, varied, and not a word someone would guess.
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT = 12
_GUESSABLE = ("change", "secret", "password", "example", "default", "linli")


def weak_secret_reason(value: str) -> str | None:
    """Why a secret is too weak to run outside development, or None when it will do.

    Length and variety, not entropy estimation: a key from `secrets.token_urlsafe(32)` (43 characters,
    about 30 distinct) passes easily, while `Change-Me`, `x`, `12345678` or a repeated word do not.
    """
    if len(value) < MIN_SECRET_CHARS:
        return f"shorter than {MIN_SECRET_CHARS} characters"
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return f"fewer than {MIN_SECRET_DISTINCT} different characters"
    lowered = value.lower()
    if any(word in lowered for word in _GUESSABLE):
        return "contains a guessable word"
    return None


class Settings(BaseSettings):
    """Runtime settings; field names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Anything but an explicit ENVIRONMENT=development must bring its own strong SECRET_KEY.
    environment: Literal["development", "test", "production"] = "production"
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
    # A held-out Rasa NLU file that console retraining measures accuracy on (a repository checkout has
    # tests/data/nlu_heldout_a.yml); unset, it measures on the corrections themselves.
    nlu_heldout: Path | None = None
    nlu_fallback_threshold: float = 0.45
    retrieval_threshold: float = 0.42

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    speech_to_text_url: str | None = None

    # WeChat Official Account (公众号) and WeCom customer service (微信客服); a channel is on when its token is
    # set. AES keys empty means plain mode. The API base URLs are the real hosts unless pointed elsewhere.
    wechat_mp_token: SecretStr | None = None
    wechat_mp_app_id: str = ""
    wechat_mp_app_secret: SecretStr | None = None
    wechat_mp_aes_key: SecretStr | None = None
    # A subscription/template message for pushes once the 48-hour customer-service window has closed.
    wechat_mp_template_id: str = ""
    wecom_corp_id: str = ""
    wecom_kf_secret: SecretStr | None = None
    wecom_kf_token: SecretStr | None = None
    wecom_kf_aes_key: SecretStr | None = None
    wechat_api_base_url: str = "https://api.weixin.qq.com"
    wecom_api_base_url: str = "https://qyapi.weixin.qq.com"

    default_community: str = "default"
    log_level: str = "INFO"
    # json: one JSON object per line for log collectors; personal data is masked either way.
    log_format: Literal["text", "json"] = "text"
    # Signs console form tokens. Development without one generates a random key once, kept under var_dir.
    secret_key: SecretStr | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    staff_token_hours: int = 12
    # Shared state for several server processes (rate limits, login throttle); empty: this process's
    # memory for rate limits and the database for the login throttle.
    redis_url: str | None = None
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses,
    # `*` for any); empty believes none, so a client cannot choose its own address or scheme.
    trusted_proxies: str = ""
    # GET /metrics (Prometheus): counts and latencies only, no personal data; false removes the route.
    metrics_enabled: bool = True

    host: str = "127.0.0.1"
    port: int = 8000

    # Resident-facing limits.
    max_message_chars: int = Field(default=2000, description="longer messages are truncated before NLU")
    # Public endpoints: messages per sender, and requests per client address (a village behind one
    # NAT address shares the second figure).
    rate_limit_per_minute: int = 30
    rate_limit_address_per_minute: int = 300  # 0 turns a limit off
    # Channels where buttons cannot be tapped: their replies also carry the choices numbered, in the text
    # (terminal, SMS) or in the speech (voice). PLAIN_TEXT_CHANNELS=voice,cli,sms in the environment.
    plain_text_channels: Annotated[frozenset[str], NoDecode] = frozenset({"voice", "cli", "sms", "wechat"})
    # How often booking reminders and rating requests are looked for.
    reminder_interval_seconds: float = 60.0
    # How long a claimed outbox row waits for its sender before another process may send it.
    outbox_lease_seconds: float = 300.0

    @field_validator("plain_text_channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`voice,cli,sms` as the environment writes a set."""
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _reject_weak_secrets(self) -> Settings:
        """Outside development a weak SECRET_KEY or webhook secret stops the start, naming the reason."""
        if self.environment == "development":
            return self
        secrets = (("SECRET_KEY", self.secret_key), ("TELEGRAM_WEBHOOK_SECRET", self.telegram_webhook_secret))
        for name, secret in secrets:
            if secret is not None and (reason := weak_secret_reason(secret.get_secret_value())):
                raise ValueError(f"{name} is too weak ({reason}); generate one with "
                                 "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return self

    def signing_key(self) -> bytes:
        """The secret key; development without one makes a random key once and keeps it in var_dir.

        Outside development a missing key is refused here, which every server calls as it starts.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        if self.environment != "development":
            raise ConfigurationError("SECRET_KEY is not set; set ENVIRONMENT=development to run with a generated key")
        import os
        import secrets

        path = self.var_dir / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created exclusively, so two processes starting together keep one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(secrets.token_urlsafe(32))
        return path.read_text(encoding="utf-8").strip().encode()

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
