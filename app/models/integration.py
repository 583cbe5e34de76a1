"""Integration API keys (one administration each) and the public FAQ."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt


class ApiKey(CreatedAt, Base):
    """A key an administration's system uses (Open311 `api_key`). Only its SHA-256 is kept:
    keys are long random strings, so a fast hash is enough and lookups stay an index probe."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_administration", "administration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]


class FaqEntry(CreatedAt, Base):
    """A question and its answer, in Arabic, French and English, under a topic."""

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_entries_topic", "topic", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    question: Mapped[dict[str, str]] = mapped_column(JSONB)
    answer: Mapped[dict[str, str]] = mapped_column(JSONB)
    updated_at: Mapped[datetime]
    search_text: Mapped[str] = mapped_column(Text, default="")


class RequestStats(Base):
    """Counters kept in the same transaction as the events they count, a few rows per cohort:
    (administration, service, kind, month of receipt) and a `slot`. Statistics sum these rows,
    never scan the requests table.

    A writer adds to a slot row no other transaction holds (`SKIP LOCKED`), or starts a new
    slot when all are held, so writers to one cohort never wait on each other: a surge on one
    service is not serialized on one row. The slots of a cohort are as many as its writers
    ever were at once, not as many as its requests."""

    __tablename__ = "request_stats"

    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(primary_key=True)  # 0: no service
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[datetime] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, default=0, server_default="0")
    received: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    processing_seconds: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    # Deadlines missed: escalations to level 1 (issue 10), counted for the administration
    # that missed them (a transfer does not move them).
    escalated: Mapped[int] = mapped_column(default=0, server_default="0")
    # The survey (issue 10): per dimension, the sum of its 1-5 answers and how many answered.
    speed_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    speed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    clarity_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    clarity_count: Mapped[int] = mapped_column(default=0, server_default="0")
    courtesy_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    courtesy_count: Mapped[int] = mapped_column(default=0, server_default="0")
    outcome_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    outcome_count: Mapped[int] = mapped_column(default=0, server_default="0")
