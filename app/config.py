"""Settings, read from the environment (and an optional `.env`) with pydantic-settings."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(".data")


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every setting of the service. Names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset means an embedded server under .data/postgres.",
    )
    embedded_db_dir: Path = DATA_DIR / "postgres"
    db_pool_size: int = 10
    db_max_overflow: int = 10

    host: str = "127.0.0.1"
    port: int = 8000
    web_concurrency: int = 1

    secret_key: SecretStr | None = None
    staff_token_ttl_seconds: int = 3600
    tracking_token_ttl_seconds: int = 900

    default_language: str = "ar"

    # Lifecycle defaults; administrations and services may override them.
    answer_days: int = 60  # decree 2-17-265: an answer within 60 days
    reopen_window_days: int = 30
    max_reopens: int = 2
    auto_close_interval_seconds: int = 3600

    # Throttling of failed tracking and login attempts (fixed windows).
    throttle_window_seconds: int = 900
    tracking_failures_per_number: int = 5
    tracking_failures_per_client: int = 20
    login_failures_per_account: int = 5
    login_failures_per_client: int = 20

    idempotency_ttl_hours: int = 24

    # Notifications (issue 3): unset means "keep messages in the outbox".
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "no-reply@chikaya.invalid"
    sms_gateway_url: str | None = None
    attachments_dir: Path = DATA_DIR / "attachments"

    @model_validator(mode="after")
    def _refuse_missing_secret_in_production(self) -> Settings:
        if self.environment is Environment.production:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError("SECRET_KEY must be set to at least 32 characters in production")
        if self.default_language not in ("ar", "fr", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be one of ar, fr, en")
        return self

    def signing_key(self) -> str:
        """The token-signing secret; in development a random one kept under `.data/`."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = DATA_DIR / "secret_key"
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
