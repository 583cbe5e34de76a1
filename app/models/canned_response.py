"""Canned responses: an administration's answers staff reuse, in the portal's three languages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import AdministrationCoded, Base, CreatedAt


class CannedResponse(AdministrationCoded, CreatedAt, Base):
    """`{code, name, body}` of one administration; `name` and `body` are `{"ar","fr","en"}`,
    the body with placeholders (`{tracking_number}`, ...) the server fills when it is used."""

    __tablename__ = "canned_responses"
    # Staff pick a response by its code, which is unique within its administration only;
    # the constraint's index also serves the listing (administration, then code).
    __table_args__ = (UniqueConstraint("administration_id", "code"),)

    body: Mapped[dict[str, str]] = mapped_column(JSONB)
    updated_at: Mapped[datetime]
