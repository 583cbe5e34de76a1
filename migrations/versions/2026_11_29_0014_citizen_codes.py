"""citizen one-time codes: verification_codes, outbox priority and expiry, contact indexes

Create Date: 2026-11-29 22:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_entity_table, create_index, drop_indexes, drop_table, timestamp

revision: str = "0014"
down_revision: str | None = "0011"


def upgrade() -> None:
    create_entity_table(
        "verification_codes",
        sa.Column("contact_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        timestamp("expires_at", nullable=False),
        timestamp("used_at"),
        big=True,
    )
    create_index(
        "ix_verification_codes_contact", "verification_codes", ["contact_key", "expires_at"]
    )
    op.add_column(
        "outbox", sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column("outbox", timestamp("expires_at"))
    op.drop_constraint(op.f("ck_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status"), "outbox", "status IN ('pending', 'sent', 'parked', 'expired')"
    )
    create_index(
        "ix_outbox_expiring",
        "outbox",
        ["expires_at"],
        where="status = 'pending' AND expires_at IS NOT NULL",
    )
    create_index(
        "ix_requests_email_lower", "requests", [sa.text("lower(email)"), "created_at", "id"]
    )
    create_index("ix_requests_phone", "requests", ["phone", "created_at", "id"])


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_phone", "ix_requests_email_lower")
    drop_indexes("outbox", "ix_outbox_expiring")
    op.execute("DELETE FROM outbox WHERE status = 'expired'")
    op.drop_constraint(op.f("ck_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status"), "outbox", "status IN ('pending', 'sent', 'parked')"
    )
    op.drop_column("outbox", "expires_at")
    op.drop_column("outbox", "priority")
    drop_table("verification_codes", "ix_verification_codes_contact")
