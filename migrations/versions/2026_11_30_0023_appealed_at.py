"""appealed_at: an answer is appealed once; a dismissal is final

Revision ID: 0023
Revises: 0021
Create Date: 2026-11-30 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"


def upgrade() -> None:
    op.add_column("requests", sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("requests", "appealed_at")
