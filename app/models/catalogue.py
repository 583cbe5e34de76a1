"""Administrations and the services citizens pick under them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import AdministrationCoded, Base, CreatedAt


class Administration(CreatedAt, Base):
    __tablename__ = "administrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)
    sector: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"))
    # Deadlines and windows in days; NULL means the service or the portal default decides.
    answer_days: Mapped[int | None] = mapped_column(Integer)
    reopen_window_days: Mapped[int | None] = mapped_column(Integer)
    max_reopens: Mapped[int | None] = mapped_column(Integer)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Names folded for search (case, French accents, Arabic diacritics and hamza forms).
    search_text: Mapped[str] = mapped_column(Text, default="")

    services: Mapped[list[Service]] = relationship(
        back_populates="administration", lazy="raise", order_by="Service.code"
    )
    parent: Mapped[Administration | None] = relationship(remote_side=[id], lazy="raise")


class Service(AdministrationCoded, CreatedAt, Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("administration_id", "code"),)

    description: Mapped[dict[str, str]] = mapped_column(JSONB)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    answer_days: Mapped[int | None] = mapped_column(Integer)
    reopen_window_days: Mapped[int | None] = mapped_column(Integer)
    # Attribute definitions in Open311's vocabulary (validated by app.schemas.catalogue).
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    required_documents: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Filing needs a one-time code proving the complainant's email or phone.
    requires_verified_contact: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )

    administration: Mapped[Administration] = relationship(back_populates="services", lazy="raise")


Index("ix_administrations_parent_id", Administration.parent_id)


class CatalogueChange(Base):
    """One row per statement that changed administrations or services, written by triggers
    (migration 0011). Processes cache the catalogue under the greatest committed `version`
    and reload it when that changes. The identity never hands out a value twice, even to a
    transaction that rolls back, so a version always means one state of the catalogue."""

    __tablename__ = "catalogue_changes"

    version: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
