"""escalation: a request's escalation level and its deadline alerts

Create Date: 2026-11-29 23:30:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import counter, create_index, drop_indexes, timestamp

revision: str = "0018"
down_revision: str | None = "0017"

ESCALATED = "escalation_level > 0"


def upgrade() -> None:
    op.add_column("requests", counter("escalation_level", sa.SmallInteger()))
    op.add_column("requests", timestamp("escalated_at"))
    op.add_column("requests", timestamp("due_soon_alerted_at"))
    op.create_check_constraint(
        op.f("ck_requests_escalation_level"), "requests", "escalation_level BETWEEN 0 AND 2"
    )
    create_index(
        "ix_requests_escalated",
        "requests",
        ["escalation_level", "administration_id", "due_at", "id"],
        where=ESCALATED,
    )


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_escalated")
    op.drop_constraint(op.f("ck_requests_escalation_level"), "requests", type_="check")
    for column in ("due_soon_alerted_at", "escalated_at", "escalation_level"):
        op.drop_column("requests", column)
