"""Documents attached to a request by its citizen or its administration's staff."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt, enum_check
from app.models.enums import Role


class Attachment(CreatedAt, Base):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(enum_check("uploaded_by_role", Role), name="uploaded_by_role"),
        CheckConstraint("size >= 0", name="size"),
        Index("ix_attachments_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    # The generated name in storage; the citizen's file name is only display text.
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_role: Mapped[str] = mapped_column(String(32))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
