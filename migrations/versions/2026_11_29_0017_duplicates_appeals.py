"""duplicates: a request links to the original it repeats

Revision ID: 0017
Revises: 0015
Create Date: 2026-11-29 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("requests", sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_requests_duplicate_of_id_requests"),
        "requests",
        "requests",
        ["duplicate_of_id"],
        ["id"],
    )
    op.create_index(
        "ix_requests_duplicate_of",
        "requests",
        ["duplicate_of_id"],
        unique=False,
        postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_requests_duplicate_of",
        table_name="requests",
        postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
    )
    op.drop_constraint(op.f("fk_requests_duplicate_of_id_requests"), "requests", type_="foreignkey")
    op.drop_column("requests", "duplicate_of_id")
