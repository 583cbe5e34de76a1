"""escalation: a request's escalation level and its deadline alerts

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESCALATED = sa.text("escalation_level > 0")


def upgrade() -> None:
    op.add_column(
        "requests",
        sa.Column("escalation_level", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column("requests", sa.Column("escalated_at", sa.DateTime(timezone=True)))
    op.add_column("requests", sa.Column("due_soon_alerted_at", sa.DateTime(timezone=True)))
    op.create_check_constraint(
        op.f("ck_requests_escalation_level"), "requests", "escalation_level BETWEEN 0 AND 2"
    )
    op.create_index(
        "ix_requests_escalated",
        "requests",
        ["escalation_level", "administration_id", "due_at", "id"],
        postgresql_where=ESCALATED,
    )


def downgrade() -> None:
    op.drop_index("ix_requests_escalated", table_name="requests", postgresql_where=ESCALATED)
    op.drop_constraint(op.f("ck_requests_escalation_level"), "requests", type_="check")
    op.drop_column("requests", "due_soon_alerted_at")
    op.drop_column("requests", "escalated_at")
    op.drop_column("requests", "escalation_level")
