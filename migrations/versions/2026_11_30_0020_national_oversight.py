"""national oversight: where a transfer came from, and the national admins' queue indexes

Create Date: 2026-11-30 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_index, drop_indexes

revision: str = "0020"
down_revision: str | None = "0019"

ESCALATED = "escalation_level > 0"
TRANSFERRED_FROM = "fk_requests_transferred_from_id_administrations"


def upgrade() -> None:
    op.add_column("requests", sa.Column("transferred_from_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f(TRANSFERRED_FROM), "requests", "administrations", ["transferred_from_id"], ["id"]
    )
    create_index("ix_requests_due", "requests", ["due_at", "id"])
    create_index(
        "ix_requests_national",
        "requests",
        ["escalation_level", "due_at", "id"],
        where=ESCALATED,
    )


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_national", "ix_requests_due")
    op.drop_constraint(op.f(TRANSFERRED_FROM), "requests", type_="foreignkey")
    op.drop_column("requests", "transferred_from_id")
