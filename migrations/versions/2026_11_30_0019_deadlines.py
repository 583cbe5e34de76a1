"""deadlines: the escalated counter of the statistics and the clock's index of running requests

Create Date: 2026-11-30 00:00:00
"""

from alembic import op

from migrations.shapes import counter, create_index, drop_indexes

revision: str = "0019"
down_revision: str | None = "0018"


def upgrade() -> None:
    op.add_column("request_stats", counter("escalated"))
    create_index(
        "ix_requests_running_due",
        "requests",
        ["due_at", "id"],
        where="state IN ('submitted', 'in_progress')",
    )


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_running_due")
    op.drop_column("request_stats", "escalated")
