"""Infrastructure tables: idempotency records and throttling counters."""

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
