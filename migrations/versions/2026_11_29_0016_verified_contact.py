"""services may require a verified contact; requests record which contact was verified;
the access log of staff reads

Create Date: 2026-11-29 22:40:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_index, drop_table, fk, pk, timestamp

revision: str = "0016"
down_revision: str | None = "0015"


def upgrade() -> None:
    op.add_column(
        "services",
        sa.Column(
            "requires_verified_contact", sa.Boolean(), server_default="false", nullable=False
        ),
    )
    op.add_column("requests", sa.Column("verified_contact", sa.String(length=8), nullable=True))
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        timestamp("at", nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        fk("access_log", "request_id", "requests", ondelete="CASCADE"),
        pk("access_log"),
    )
    create_index("ix_access_log_request", "access_log", ["request_id", "at", "id"])


def downgrade() -> None:
    drop_table("access_log", "ix_access_log_request")
    op.drop_column("requests", "verified_contact")
    op.drop_column("services", "requires_verified_contact")
