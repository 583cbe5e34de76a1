"""national oversight: where a transfer came from, and the national admins' queue indexes

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESCALATED = sa.text("escalation_level > 0")


def upgrade() -> None:
    op.add_column("requests", sa.Column("transferred_from_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_requests_transferred_from_id_administrations"),
        "requests",
        "administrations",
        ["transferred_from_id"],
        ["id"],
    )
    op.create_index("ix_requests_due", "requests", ["due_at", "id"])
    op.create_index(
        "ix_requests_national",
        "requests",
        ["escalation_level", "due_at", "id"],
        postgresql_where=ESCALATED,
    )


def downgrade() -> None:
    op.drop_index("ix_requests_national", table_name="requests", postgresql_where=ESCALATED)
    op.drop_index("ix_requests_due", table_name="requests")
    op.drop_constraint(
        op.f("fk_requests_transferred_from_id_administrations"), "requests", type_="foreignkey"
    )
    op.drop_column("requests", "transferred_from_id")
