"""statistics rendered: the whole portal's ranking and monthly entries, rendered by the fold

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 03:00:00

Each row of the administration and month rollups keeps its entry of the public answer as the
fold last rendered it (`rendered`, NULL: to render) and, per administration, the processed
share the ranking sorts by. The rows start unrendered: reads compute them as before until the
next fold renders them, so the figures stay exact. An administration's entry names it (code
and name): a trigger sends it back to render when either changes. `request_stats_answer` (one
row) keeps the entries joined in the answer's order, with where each ends and what it is, and
the portal's folded total; until the first fold writes it, reads sum the month rollup.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRENDERED = sa.text("rendered IS NULL")
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


def upgrade() -> None:
    for table in ("request_stats_by_administration", "request_stats_by_month"):
        op.add_column(table, sa.Column("rendered", sa.Text(), nullable=True))
    op.add_column(
        "request_stats_by_administration",
        sa.Column("processed_pct", sa.Double(), nullable=True),
    )
    for table, key in (
        ("request_stats_by_administration", "administration_id"),
        ("request_stats_by_month", "month"),
    ):
        op.create_index(f"ix_{table}_unrendered", table, [key], postgresql_where=UNRENDERED)
    op.create_table(
        "request_stats_answer",
        sa.Column("id", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("ranking", sa.LargeBinary(), nullable=False),
        sa.Column("ranking_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("ranking_ends", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("ranking_pct", postgresql.ARRAY(sa.Double()), nullable=False),
        sa.Column("ranking_received", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("ranking_codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("monthly", sa.LargeBinary(), nullable=False),
        sa.Column("monthly_months", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("monthly_ends", postgresql.ARRAY(sa.Integer()), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
        sa.CheckConstraint("id", name=op.f("ck_request_stats_answer_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_stats_answer")),
    )
    op.execute(
        """
        CREATE FUNCTION unrender_ranking_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE request_stats_by_administration SET rendered = NULL
            WHERE administration_id = NEW.id AND rendered IS NOT NULL;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER administrations_ranking_entry "
        "AFTER UPDATE OF code, name ON administrations FOR EACH ROW "
        "WHEN (OLD.code IS DISTINCT FROM NEW.code OR OLD.name IS DISTINCT FROM NEW.name) "
        "EXECUTE FUNCTION unrender_ranking_entry()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER administrations_ranking_entry ON administrations")
    op.execute("DROP FUNCTION unrender_ranking_entry()")
    op.drop_table("request_stats_answer")
    for table in ("request_stats_by_administration", "request_stats_by_month"):
        op.drop_index(f"ix_{table}_unrendered", table_name=table, postgresql_where=UNRENDERED)
    op.drop_column("request_stats_by_administration", "processed_pct")
    for table in ("request_stats_by_administration", "request_stats_by_month"):
        op.drop_column(table, "rendered")
