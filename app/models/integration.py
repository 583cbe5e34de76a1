"""Integration API keys (one administration each) and the public FAQ."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    ever were at once, not as many as its requests.

    The periodic work folds them (`app.services.stats.fold`): every slot no writer holds goes,
    in one transaction, into the cohort's folded row (`slot` -1, which writers never touch)
    and into the rollups below, so that a read sums rollup rows plus the few slots written
    since the last fold (`ix_request_stats_unfolded` finds them)."""

    __tablename__ = "request_stats"
    __table_args__ = (
        Index(
            "ix_request_stats_unfolded",
            "administration_id",
            "month",
            postgresql_where=text("slot >= 0"),
        ),
    )

    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(primary_key=True)  # 0: no service
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[datetime] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True, default=0, server_default="0")
    received: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    # Seconds add up fast: a cohort of a thousand answers in a month is past 2**31.
    processing_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
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


class RollupCounters:
    """The counters of `RequestStats`, summed over many cohorts (64-bit: ten years of a
    country's processing seconds are far past 2**31)."""

    received: Mapped[int] = mapped_column(BigInteger)
    processed: Mapped[int] = mapped_column(BigInteger)
    processing_seconds: Mapped[int] = mapped_column(BigInteger)
    reopened: Mapped[int] = mapped_column(BigInteger)
    rated: Mapped[int] = mapped_column(BigInteger)
    rating_sum: Mapped[int] = mapped_column(BigInteger)
    satisfied: Mapped[int] = mapped_column(BigInteger)
    escalated: Mapped[int] = mapped_column(BigInteger)
    speed_sum: Mapped[int] = mapped_column(BigInteger)
    speed_count: Mapped[int] = mapped_column(BigInteger)
    clarity_sum: Mapped[int] = mapped_column(BigInteger)
    clarity_count: Mapped[int] = mapped_column(BigInteger)
    courtesy_sum: Mapped[int] = mapped_column(BigInteger)
    courtesy_count: Mapped[int] = mapped_column(BigInteger)
    outcome_sum: Mapped[int] = mapped_column(BigInteger)
    outcome_count: Mapped[int] = mapped_column(BigInteger)


class StatsByAdministrationMonth(RollupCounters, Base):
    """The folded counters of one administration for one month of receipt (every service and
    kind): what the statistics of one administration, or of a period, read."""

    __tablename__ = "request_stats_by_administration_month"
    __table_args__ = (Index("ix_request_stats_by_administration_month_month", "month"),)

    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id"), primary_key=True
    )
    month: Mapped[datetime] = mapped_column(primary_key=True)


# The rollup rows to render (or whose entry is stale): few, found by partial indexes.
_UNRENDERED = text("rendered IS NULL")


class StatsByMonth(RollupCounters, Base):
    """The folded counters of the whole portal for one month of receipt, and its entry of the
    public answer's monthly series as the fold rendered it (NULL: to render)."""

    __tablename__ = "request_stats_by_month"
    __table_args__ = (
        Index("ix_request_stats_by_month_unrendered", "month", postgresql_where=_UNRENDERED),
    )

    month: Mapped[datetime] = mapped_column(primary_key=True)
    rendered: Mapped[str | None] = mapped_column(Text)


class StatsByAdministration(RollupCounters, Base):
    """The folded counters of one administration over all time, and its indicators as the fold
    rendered them for the public ranking (JSON; NULL: to render) with the processed share the
    ranking sorts by."""

    __tablename__ = "request_stats_by_administration"
    __table_args__ = (
        Index(
            "ix_request_stats_by_administration_unrendered",
            "administration_id",
            postgresql_where=_UNRENDERED,
        ),
    )

    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id"), primary_key=True
    )
    rendered: Mapped[str | None] = mapped_column(Text)
    processed_pct: Mapped[float | None] = mapped_column(Double)


class StatsAnswer(RollupCounters, Base):
    """The whole portal's rendered entries (`rendered` of the two rollups above) joined in the
    answer's order by the fold, one row: the ranking's, with each entry's administration, end
    offset and sort keys, and the months', with each one's month and end offset; and the
    portal's folded total. A read takes them as they are, but for the entries written to since
    (see `app.repositories.stats`)."""

    __tablename__ = "request_stats_answer"
    __table_args__ = (CheckConstraint("id", name="one_row"),)

    id: Mapped[bool] = mapped_column(primary_key=True, server_default=true())
    ranking: Mapped[bytes] = mapped_column(LargeBinary)
    ranking_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    ranking_ends: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    ranking_pct: Mapped[list[float]] = mapped_column(ARRAY(Double))
    ranking_received: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    ranking_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    monthly: Mapped[bytes] = mapped_column(LargeBinary)
    monthly_months: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))
    monthly_ends: Mapped[list[int]] = mapped_column(ARRAY(Integer))
