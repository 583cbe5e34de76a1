"""The transactional outbox and the webhook endpoints of administrations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, CreatedAt
from app.models.domains import OUTBOX_CHANNEL, OUTBOX_STATUS


class OutboxMessage(CreatedAt, Base):
    """A message to the outside world, written in the transaction of the change that causes it.

    The dispatcher sends it after commit, at least once; `message_id` stays the same across
    retries so that receivers can drop duplicates.

    A filing writes its messages (acknowledgements, supervisors, webhooks) as one row of
    channel `fanout`, whose payload holds them; the dispatcher writes them out, each in a row of
    its own, in the transaction that marks the fan-out sent, and only then sends them. The
    filing's statement is the hottest of the portal: one row and its indexes instead of three
    or more, and no look-up of the supervisors and webhooks while it runs.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # `channel` and `status` restricted by their types (`app.models.domains`).
        # The dispatcher's claim: pending rows of one channel, due first.
        Index(
            "ix_outbox_due",
            "channel",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # Per-recipient order: is an older message to the same address still pending?
        Index(
            "ix_outbox_recipient_pending",
            "channel",
            "recipient",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_parked", "id", postgresql_where=text("status = 'parked'")),
        # Messages that are worthless after a moment (one-time codes), dropped at expiry.
        Index(
            "ix_outbox_expiring",
            "expires_at",
            postgresql_where=text("status = 'pending' AND expires_at IS NOT NULL"),
        ),
        Index("ix_outbox_request", "request_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(OUTBOX_CHANNEL)
    event: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id"))
    status: Mapped[str] = mapped_column(OUTBOX_STATUS, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # A message of higher priority goes ahead of its recipient's older pending ones (a one-time
    # code must not wait behind a backlog); one with `expires_at` is never sent after it.
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    expires_at: Mapped[datetime | None]
    # Its place in its recipients' line when it is not its own id: the id of the fan-out it was
    # written out from (channel `fanout`, a filing's messages in one row), for a message that
    # comes from one. It is told before anything written after the filing.
    place: Mapped[int | None] = mapped_column(BigInteger)


class Webhook(CreatedAt, Base):
    """An HTTPS endpoint of an administration's own system, told about its requests."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_administration", "administration_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id"))
    url: Mapped[str] = mapped_column(String(2048))
    # The HMAC key, shown once at creation; needed in clear to sign every delivery.
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
