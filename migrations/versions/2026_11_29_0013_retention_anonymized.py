"""requests: anonymized_at, the retention purge's index, a contact may go once anonymized

Revision ID: 0013
Revises: 0008
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CONTACT = "email IS NOT NULL OR phone IS NOT NULL OR channel IN ('mail', 'call_center')"


def upgrade() -> None:
    op.add_column("requests", sa.Column("anonymized_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_requests_contact"), "requests", type_="check")
    op.create_check_constraint(
        op.f("ck_requests_contact"), "requests", f"{OLD_CONTACT} OR anonymized_at IS NOT NULL"
    )
    op.create_index(
        "ix_requests_retention",
        "requests",
        ["closed_at"],
        unique=False,
        postgresql_where=sa.text("state IN ('closed', 'rejected') AND anonymized_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_requests_retention", table_name="requests")
    op.drop_constraint(op.f("ck_requests_contact"), "requests", type_="check")
    op.create_check_constraint(op.f("ck_requests_contact"), "requests", OLD_CONTACT)
    op.drop_column("requests", "anonymized_at")
