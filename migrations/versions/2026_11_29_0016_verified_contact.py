"""services may require a verified contact; requests record which contact was verified;
the access log of staff reads

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_access_log_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_request", "access_log", ["request_id", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_access_log_request", table_name="access_log")
    op.drop_table("access_log")
    op.drop_column("requests", "verified_contact")
    op.drop_column("services", "requires_verified_contact")
