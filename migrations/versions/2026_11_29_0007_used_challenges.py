"""used_challenges: proof-of-work solutions already spent, so each serves once

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_challenges",
        sa.Column("challenge", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("challenge", name=op.f("pk_used_challenges")),
    )
    op.create_index(
        "ix_used_challenges_expires_at", "used_challenges", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_used_challenges_expires_at", table_name="used_challenges")
    op.drop_table("used_challenges")
