"""duplicates: a request links to the original it repeats

Create Date: 2026-11-29 22:30:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_index, drop_indexes

revision: str = "0017"
down_revision: str | None = "0016"


def upgrade() -> None:
    op.add_column("requests", sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_requests_duplicate_of_id_requests"),
        "requests",
        "requests",
        ["duplicate_of_id"],
        ["id"],
    )
    create_index(
        "ix_requests_duplicate_of",
        "requests",
        ["duplicate_of_id"],
        where="duplicate_of_id IS NOT NULL",
    )


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_duplicate_of")
    op.drop_constraint(op.f("fk_requests_duplicate_of_id_requests"), "requests", type_="foreignkey")
    op.drop_column("requests", "duplicate_of_id")
