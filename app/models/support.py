"""Infrastructure tables: idempotency records, throttling counters, spent challenges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt


class IdempotencyRecord(CreatedAt, Base):
    """The first answer to a POST carrying an `Idempotency-Key`, replayed to its retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("ix_idempotency_records_expires_at", "expires_at"),)

    # scope = who asked and where (caller identity + route); key = the client's key.
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[Any] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    expires_at: Mapped[datetime]


class ThrottleCounter(Base):
    """Failed attempts in a fixed window, per key (a tracking number, an account, a client)."""

    __tablename__ = "throttle_counters"
    __table_args__ = (Index("ix_throttle_counters_window_ends_at", "window_ends_at"),)

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    window_ends_at: Mapped[datetime]


class UsedChallenge(Base):
    """A proof-of-work challenge already spent on a submission, kept until it expires."""

    __tablename__ = "used_challenges"
    __table_args__ = (Index("ix_used_challenges_expires_at", "expires_at"),)

    # The challenge hash (hex of SHA-256 at least, 128 characters for SHA-512).
    challenge: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime]
