"""deadlines: the escalated counter of the statistics and the clock's index of running requests

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = sa.text("state IN ('submitted', 'in_progress')")


def upgrade() -> None:
    op.add_column(
        "request_stats",
        sa.Column("escalated", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_requests_running_due", "requests", ["due_at", "id"], postgresql_where=RUNNING
    )


def downgrade() -> None:
    op.drop_index("ix_requests_running_due", table_name="requests", postgresql_where=RUNNING)
    op.drop_column("request_stats", "escalated")
