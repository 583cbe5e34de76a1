"""statistics counters in slots (no hot row); catalogue_changes versions the catalogue

Create Date: 2026-11-29 22:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import counter

revision: str = "0011"
down_revision: str | None = "0013"

CATALOGUE_TABLES = ("administrations", "services")


def upgrade() -> None:
    # Counters: the existing rows become slot 0 of their cohort.
    op.drop_constraint("pk_request_stats", "request_stats", type_="primary")
    op.add_column("request_stats", counter("slot"))
    op.create_primary_key(
        "pk_request_stats",
        "request_stats",
        ["administration_id", "service_id", "kind", "month", "slot"],
    )

    op.create_table(
        "catalogue_changes",
        sa.Column("version", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_catalogue_changes")),
    )
    op.execute("INSERT INTO catalogue_changes DEFAULT VALUES")
    # Inserts never wait on one another: catalogue writers do not serialize on a version row.
    op.execute(
        """
        CREATE FUNCTION note_catalogue_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO catalogue_changes DEFAULT VALUES;
            RETURN NULL;
        END
        $$
        """
    )
    for table in CATALOGUE_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalogue_change "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION note_catalogue_change()"
        )


def downgrade() -> None:
    for table in CATALOGUE_TABLES:
        op.execute(f"DROP TRIGGER {table}_catalogue_change ON {table}")
    op.execute("DROP FUNCTION note_catalogue_change()")
    op.drop_table("catalogue_changes")

    # Fold the slots back into one row per cohort.
    op.execute(
        """
        CREATE TEMPORARY TABLE folded ON COMMIT DROP AS
        SELECT administration_id, service_id, kind, month,
               sum(received)::int AS received, sum(processed)::int AS processed,
               sum(processing_seconds)::int AS processing_seconds,
               sum(reopened)::int AS reopened, sum(rated)::int AS rated,
               sum(rating_sum)::int AS rating_sum, sum(satisfied)::int AS satisfied
        FROM request_stats GROUP BY administration_id, service_id, kind, month
        """
    )
    op.execute("DELETE FROM request_stats")
    op.drop_constraint("pk_request_stats", "request_stats", type_="primary")
    op.drop_column("request_stats", "slot")
    op.execute(
        """
        INSERT INTO request_stats (administration_id, service_id, kind, month, received,
            processed, processing_seconds, reopened, rated, rating_sum, satisfied)
        SELECT administration_id, service_id, kind, month, received, processed,
            processing_seconds, reopened, rated, rating_sum, satisfied FROM folded
        """
    )
    op.create_primary_key(
        "pk_request_stats", "request_stats", ["administration_id", "service_id", "kind", "month"]
    )
