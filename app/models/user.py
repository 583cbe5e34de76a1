"""Staff accounts: agents, supervisors, operators and national admins, and their reset links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, CreatedAt, enum_check
from app.models.catalogue import Administration
from app.models.enums import Role


class User(CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", Role), name="role"),
        # Agents and supervisors belong to exactly one administration; the others to none.
        CheckConstraint(
            "(role IN ('agent', 'supervisor')) = (administration_id IS NOT NULL)",
            name="administration_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrations.id"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Carried by every staff token; bumped to revoke them all at once (deactivation, new
    # password). The token check compares it on the row it loads anyway.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The TOTP (RFC 6238) shared secret, base32; set means the second factor is required.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last time step whose code was accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    administration: Mapped[Administration | None] = relationship(lazy="raise")


class PasswordReset(CreatedAt, Base):
    """A one-time password-reset link: only the SHA-256 of its token is kept."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
