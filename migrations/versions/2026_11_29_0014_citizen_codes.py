"""citizen one-time codes: verification_codes, outbox priority and expiry, contact indexes

Revision ID: 0014
Revises: 0008
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("contact_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )
    op.create_index(
        "ix_verification_codes_contact",
        "verification_codes",
        ["contact_key", "expires_at"],
        unique=False,
    )
    op.add_column(
        "outbox", sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column("outbox", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status"), "outbox", "status IN ('pending', 'sent', 'parked', 'expired')"
    )
    op.create_index(
        "ix_outbox_expiring",
        "outbox",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending' AND expires_at IS NOT NULL"),
    )
    op.create_index(
        "ix_requests_email_lower",
        "requests",
        [sa.text("lower(email)"), "created_at", "id"],
        unique=False,
    )
    op.create_index("ix_requests_phone", "requests", ["phone", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_requests_phone", table_name="requests")
    op.drop_index("ix_requests_email_lower", table_name="requests")
    op.drop_index("ix_outbox_expiring", table_name="outbox")
    op.execute("DELETE FROM outbox WHERE status = 'expired'")
    op.drop_constraint(op.f("ck_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_outbox_status"), "outbox", "status IN ('pending', 'sent', 'parked')"
    )
    op.drop_column("outbox", "expires_at")
    op.drop_column("outbox", "priority")
    op.drop_index("ix_verification_codes_contact", table_name="verification_codes")
    op.drop_table("verification_codes")
