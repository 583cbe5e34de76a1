"""used_challenges: proof-of-work solutions already spent, so each serves once

Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_index, drop_table, pk, timestamp

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    op.create_table(
        "used_challenges",
        sa.Column("challenge", sa.String(length=128), nullable=False),
        timestamp("expires_at", nullable=False),
        pk("used_challenges", "challenge"),
    )
    create_index("ix_used_challenges_expires_at", "used_challenges", ["expires_at"])


def downgrade() -> None:
    drop_table("used_challenges", "ix_used_challenges_expires_at")
