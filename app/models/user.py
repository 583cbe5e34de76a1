"""Staff accounts: agents, supervisors, operators and national admins."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
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

    administration: Mapped[Administration | None] = relationship(lazy="raise")
