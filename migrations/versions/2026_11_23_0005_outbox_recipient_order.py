"""outbox: an index for sending each recipient's messages in order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_recipient_pending",
        "outbox",
        ["channel", "recipient", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_recipient_pending",
        table_name="outbox",
        postgresql_where=sa.text("status = 'pending'"),
    )
