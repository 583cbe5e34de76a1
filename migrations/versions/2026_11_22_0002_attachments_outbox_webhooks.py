"""attachments, outbox, webhooks, receipt codes

Create Date: 2026-11-22 23:07:53.391364
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shapes import (
    check,
    create_entity_table,
    create_index,
    drop_table,
    fk,
    role_check,
    timestamp,
    unique,
)

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    create_entity_table(
        "webhooks",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        fk("webhooks", "administration_id", "administrations"),
    )
    create_index("ix_webhooks_administration", "webhooks", ["administration_id"])
    create_entity_table(
        "attachments",
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_role", sa.String(length=32), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        role_check("attachments", "uploaded_by_role"),
        check("attachments", "size", "size >= 0"),
        fk("attachments", "request_id", "requests"),
        fk("attachments", "uploaded_by_id", "users"),
        unique("attachments", "storage_key"),
        big=True,
    )
    create_index("ix_attachments_request", "attachments", ["request_id", "id"])
    create_entity_table(
        "outbox",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=2048), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        timestamp("next_attempt_at", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        timestamp("sent_at"),
        check("outbox", "channel", "channel IN ('email', 'sms', 'webhook')"),
        check("outbox", "status", "status IN ('pending', 'sent', 'parked')"),
        fk("outbox", "request_id", "requests"),
        fk("outbox", "webhook_id", "webhooks"),
        unique("outbox", "message_id"),
        big=True,
    )
    create_index(
        "ix_outbox_due", "outbox", ["channel", "next_attempt_at"], where="status = 'pending'"
    )
    create_index("ix_outbox_parked", "outbox", ["id"], where="status = 'parked'")
    create_index("ix_outbox_request", "outbox", ["request_id"])
    op.add_column("requests", sa.Column("receipt_code", sa.String(length=32), nullable=True))
    op.add_column("requests", timestamp("reopen_reminder_sent_at"))
    op.create_unique_constraint(op.f("uq_requests_receipt_code"), "requests", ["receipt_code"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_requests_receipt_code"), "requests", type_="unique")
    op.drop_column("requests", "reopen_reminder_sent_at")
    op.drop_column("requests", "receipt_code")
    drop_table("outbox", "ix_outbox_request", "ix_outbox_parked", "ix_outbox_due")
    drop_table("attachments", "ix_attachments_request")
    drop_table("webhooks", "ix_webhooks_administration")
