"""Settings, read from the environment (and an optional `.env`) with pydantic-settings."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    # The sessions' connections, and how many more may be opened in a burst. An overflow
    # connection is closed as soon as it comes back to a full pool: under a steady load above
    # the pool every few requests would open one (a server process, the dialect's set-up
    # queries, prepared statements anew), slow enough on a busy server to miss the connect
    # timeout. None by default: a request waits for a free connection (at most
    # `db_pool_timeout_seconds`). No request holds two of these at once.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # The driver's own pool (`app.repositories.driver`): the hot reads (a request's detail, the
    # queue, the whole portal's statistics, Open311 pages) and an ordinary submission's one
    # statement. asyncpg's: no overflow, a call waits for a free connection.
    db_read_pool_size: int = 10
    # Bounded waits, so that an outage answers a quick 503 rather than holding clients:
    # for a pooled connection when all are busy, and for a new one to the server.
    db_pool_timeout_seconds: float = 5.0
    db_connect_timeout_seconds: float = 5.0
    # Pooled connections are replaced after this many seconds (no ping per checkout: servers
    # and proxies that drop idle connections after longer never hand us a dead one).
    db_pool_recycle_seconds: int = 1800

    # How old the catalogue version a process trusts may be: a change of administrations or
    # services shows in every API process within this many seconds (0: checked every time).
    catalogue_refresh_seconds: float = 2.0

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
    # Law 31-13 on access to information: 20 days, once extended by 20, 3 when urgent; the
    # applicant may complain of a refusal or a silence within 20 days.
    information_answer_days: int = 20
    information_extension_days: int = 20
    information_urgent_days: int = 3
    appeal_window_days: int = 20
    auto_close_interval_seconds: int = 3600
    # Deadlines that bite: the assignee and the supervisors are warned this many days before
    # a due date; past it the request escalates to the supervisors (level 1), and this many
    # days later still unanswered to the national admins (level 2).
    due_soon_days: int = Field(default=5, ge=0, le=60)
    escalation_days: int = Field(default=15, ge=1, le=365)

    # Throttling of failed tracking and login attempts (fixed windows). The per-number and
    # per-account limits count one client's failures only, so a stranger never locks out the
    # citizen or the staff member; past the slowdown threshold (every client together), each
    # client that failed waits longer before its next try (never a lock).
    throttle_window_seconds: int = 900
    tracking_failures_per_number: int = 5
    tracking_failures_per_client: int = 20
    tracking_slowdown_after: int = 20
    login_failures_per_account: int = 5
    login_failures_per_client: int = 20
    login_slowdown_after: int = 20
    slowdown_max_delay_seconds: int = 300

    # Ceilings on anonymous abuse (0 = no ceiling), shared by every API process (PostgreSQL).
    submissions_per_client_per_hour: int = 20
    acknowledgements_per_recipient_per_day: int = 5
    # ALTCHA proof of work (v1) that lets one submission past the per-client ceiling.
    challenge_max_number: int = 100_000
    challenge_ttl_seconds: int = 1200

    idempotency_ttl_hours: int = 24

    # Citizens' one-time codes (a session over every request of a verified email or phone).
    citizen_token_ttl_seconds: int = 1800
    otp_ttl_seconds: int = 600
    otp_failures_per_contact: int = 5  # wrong codes per (contact, client) per code lifetime
    otp_failures_per_client: int = 20
    otp_slowdown_after: int = 20  # wrong codes on one contact from every client together
    otp_sends_per_contact_per_client: int = 3  # per code lifetime; 429 past it
    otp_requests_per_client_per_hour: int = 10  # 0 = no ceiling; X-Altcha passes it
    otp_sends_per_contact_per_day: int = 10  # past it answered the same, not sent
    citizen_export_max_requests: int = 100  # the most recent; the export says it is truncated

    # Staff accounts: password bounds, one-time reset links, the TOTP second factor.
    password_min_length: int = 12
    password_max_length: int = 128  # argon2 hashes any length; bound the work per attempt
    password_reset_ttl_minutes: int = 30
    password_resets_per_account_per_hour: int = 3  # more requests are answered but not sent
    totp_issuer: str = "Chikaya"

    # Public address of the portal, used in messages and on receipts.
    portal_url: str = "https://www.chikaya.ma"

    # Law 09-08: personal data of a request is removed this many days after it is closed or
    # rejected (five years by default); the notice names the controller and how to reach it.
    retention_days_after_close: int = Field(default=1825, ge=1, le=36500)
    privacy_controller: str | None = None  # unset: the portal's operator, in each language
    privacy_contact_email: str = "donnees-personnelles@chikaya.ma"
    privacy_postal_address: str | None = None
    cndp_declaration: str | None = None  # the CNDP's receipt number of the declaration

    # Notifications. Unset SMTP_HOST or SMS_GATEWAY_URL mean "keep messages in the outbox".
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Chikaya <no-reply@chikaya.ma>"
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 20.0
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    sms_sender: str = "CHIKAYA"
    webhook_timeout_seconds: float = 10.0
    # Webhooks must be HTTPS; plain HTTP to loopback only when this is set (development, tests).
    webhooks_allow_http_loopback: bool = False
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 30.0  # first retry; doubles each attempt, with jitter
    outbox_lease_seconds: int = 120  # a claimed message is re-sent if not marked by then
    outbox_poll_seconds: float = 2.0
    outbox_batch_size: int = 50
    dispatcher_in_api: bool = (
        True  # `make run` sends too; production may run `python -m app worker`
    )
    reopen_reminder_days: int = 3  # remind the citizen this many days before the window closes

    # Attachments.
    attachments_backend: Literal["local", "s3"] = "local"
    attachments_dir: Path = DATA_DIR / "attachments"
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments_per_request: int = 20
    max_files_per_upload: int = 10
    # Uploads in progress at once from one client address (429 beyond): a client holding many
    # half-sent bodies open cannot tie up the server's spool and slots for everyone else.
    uploads_per_client: int = 3
    # A body whose next bytes do not arrive within this many seconds is cut off with 408.
    body_read_timeout_seconds: float = 30.0
    allowed_attachment_types: list[str] = [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    ]
    s3_endpoint_url: str | None = None
    s3_bucket: str = "chikaya-attachments"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    # Operations.
    # Peers whose X-Forwarded-For/-Proto are believed (comma-separated addresses or networks,
    # `*` for any): the reverse proxy. Unset: nobody, and the client is the TCP peer.
    forwarded_allow_ips: str = ""
    # Required as `Authorization: Bearer` on /metrics when set.
    metrics_token: SecretStr | None = None
    # FastAPI's native OpenTelemetry (spans, metrics and logs per request, to the providers
    # an OpenTelemetry SDK installs). Off, nothing asks the global providers at every request
    # (about 1% of a submission's instructions).
    opentelemetry: bool = False
    # Origins allowed to call the API from a browser (the web site's); none by default.
    cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # `CORS_ORIGINS=https://a.ma,https://b.ma` (a JSON list works too).
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_missing_secret_in_production(self) -> Settings:
        if self.environment is Environment.production:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key) < 32:
                raise ValueError("SECRET_KEY must be set to at least 32 characters in production")
        if self.environment is Environment.production and self.webhooks_allow_http_loopback:
            # It would let a webhook reach this machine's own services.
            raise ValueError("WEBHOOKS_ALLOW_HTTP_LOOPBACK is for development and tests only")
        if self.default_language not in ("ar", "fr", "en"):
            raise ValueError("DEFAULT_LANGUAGE must be one of ar, fr, en")
        return self

    # The development key file, read once: every token signed or checked needs the key, and
    # a file read per token cost system calls on the hot paths (tracking reads, submissions).
    _key_file_value: str | None = PrivateAttr(default=None)

    def signing_key(self) -> str:
        """The token-signing secret; in development a random one kept under `.data/`."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self._key_file_value is None:
            self._key_file_value = self._read_key_file()
        return self._key_file_value

    @staticmethod
    def _read_key_file() -> str:
        path = DATA_DIR / "secret_key"
        if not path.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
