"""One-time codes that prove a citizen holds an email address or a phone number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt


class VerificationCode(CreatedAt, Base):
    """A code sent to a contact. Neither the contact nor the code is kept in clear: both are
    HMACs under a key derived from the app's secret. Several codes of one contact may be live
    at once, so that a stranger asking for codes never voids the one its owner received."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_contact", "contact_key", "expires_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contact_key: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
