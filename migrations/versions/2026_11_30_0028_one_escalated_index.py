"""one escalated index: `ix_requests_national` dropped, `ix_requests_escalated` serves its lists

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 12:30:00

Every filing's statement opens, locks and prepares every index of `requests` (the predicate of
a partial one too, even when the new row is not in it): an index no query needs costs each
submission all the same. `ix_requests_national (escalation_level, due_at, id) WHERE
escalation_level > 0` and `ix_requests_escalated (escalation_level, administration_id, due_at,
id) WHERE escalation_level > 0` hold the same few rows (the escalated requests) and serve the
same queries: the national admins' list of a level, an administration's, the `escalated`
filter, the live counts and the clock's second escalation. `ix_requests_escalated` serves them
all; a national list of one level reads that level's entries (a few thousand) and sorts them.
The audit of every index and the plans before and after: `bench/index_plans.py`,
`tests/test_index_plans.py`.

`DROP INDEX CONCURRENTLY` cannot run in a transaction: in alembic's `autocommit_block`, as
0027. Run again after a failure it does nothing more (`IF EXISTS`). The downgrade builds the
index again, concurrently, dropping first what a failed build left invalid (as 0027 does).
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The indexes dropped here, as 0027 built them.
DROPPED: dict[str, str] = {
    "ix_requests_national": "requests (escalation_level, due_at, id) WHERE escalation_level > 0",
}

INVALID = text(
    "SELECT name FROM unnest(CAST(:names AS text[])) AS name "
    "JOIN pg_index ON indexrelid = to_regclass(name) WHERE NOT indisvalid"
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name in DROPPED:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        invalid = op.get_bind().scalars(INVALID, {"names": list(DROPPED)}).all()
        for name in invalid:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name, definition in DROPPED.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")
