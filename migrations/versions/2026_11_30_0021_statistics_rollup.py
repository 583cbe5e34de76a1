"""statistics rollup: folded cohort rows, per administration-month, month and administration

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 00:00:00

Every existing slot row stays as it is (slot >= 0: unfolded); the first fold of the periodic
work moves them into the rollups, so the rollups start empty and the figures stay exact.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFOLDED = sa.text("slot >= 0")
COUNTERS = (
    "received",
    "processed",
    "processing_seconds",
    "reopened",
    "rated",
    "rating_sum",
    "satisfied",
    "escalated",
    *(
        f"{dimension}_{part}"
        for dimension in ("speed", "clarity", "courtesy", "outcome")
        for part in ("sum", "count")
    ),
)


def _counters() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS]


def _administration() -> sa.Column[int]:
    return sa.Column("administration_id", sa.Integer(), nullable=False)


def _month() -> sa.Column[object]:
    return sa.Column("month", sa.DateTime(timezone=True), nullable=False)


def _to_administrations(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["administration_id"],
        ["administrations.id"],
        name=op.f(f"fk_{table}_administration_id_administrations"),
    )


def upgrade() -> None:
    op.alter_column(
        "request_stats", "processing_seconds", type_=sa.BigInteger(), existing_nullable=False
    )
    op.create_index(
        "ix_request_stats_unfolded",
        "request_stats",
        ["administration_id", "month"],
        postgresql_where=UNFOLDED,
    )
    table = "request_stats_by_administration_month"
    op.create_table(
        table,
        *_counters(),
        _administration(),
        _month(),
        _to_administrations(table),
        sa.PrimaryKeyConstraint("administration_id", "month", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_month", table, ["month"])
    table = "request_stats_by_month"
    op.create_table(
        table, *_counters(), _month(), sa.PrimaryKeyConstraint("month", name=op.f(f"pk_{table}"))
    )
    table = "request_stats_by_administration"
    op.create_table(
        table,
        *_counters(),
        _administration(),
        _to_administrations(table),
        sa.PrimaryKeyConstraint("administration_id", name=op.f(f"pk_{table}")),
    )


def downgrade() -> None:
    # Folded rows are slots like any other to the code before this revision: nothing is lost.
    op.drop_table("request_stats_by_administration")
    op.drop_table("request_stats_by_month")
    op.drop_index(
        "ix_request_stats_by_administration_month_month", "request_stats_by_administration_month"
    )
    op.drop_table("request_stats_by_administration_month")
    op.drop_index(
        "ix_request_stats_unfolded", table_name="request_stats", postgresql_where=UNFOLDED
    )
    op.alter_column(
        "request_stats", "processing_seconds", type_=sa.Integer(), existing_nullable=False
    )
