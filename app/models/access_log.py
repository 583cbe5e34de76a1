"""Who read a request's personal data (law 09-08): one row per staff or integration read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class AccessLogEntry(Base):
    """A read of a request by staff (`user_id`) or an integration key (`api_key_id`): its
    citizen sees the administration, the role and when; staff names stay inside."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_request", "request_id", "at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("requests.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(32))
    administration_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(16))  # detail, messages, attachments, download
