"""partial indexes concurrently: the nine partial indexes 0026 dropped, built again without
blocking writers; `ck_requests_coordinates` validated

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 10:30:00

Migration 0026 typed the columns these indexes' conditions read by domains and dropped the
indexes in its transaction (PostgreSQL would have built them again under its exclusive lock).
Here they are built `CONCURRENTLY`, which cannot run in a transaction: in alembic's
`autocommit_block`, after 0026 committed with its version stamp (a transaction per migration,
`migrations/env.py`). Until this migration ends, the scans these indexes serve (the clock,
the auto-close and retention tasks, the national and escalated lists, the dispatcher's claim)
read without them: slower, not wrong.

It can be run again after any failure: a `CREATE INDEX CONCURRENTLY` that fails (cancelled, a
deadlock, a lost connection) leaves its index in the catalogue, marked invalid, never used and
yet maintained by every write, and `IF NOT EXISTS` alone would keep it. So each index found
invalid is dropped (`CONCURRENTLY`) before it is built; a valid one is left as it is; and
validating a constraint already valid does nothing. The version is stamped 0027 only once
every index is built: until then it stays 0026, and `upgrade head` runs all of this again.

`ck_requests_coordinates` (added `NOT VALID` by 0026) is validated here, which reads
`requests` without blocking its writers. The domain constraints stay `NOT VALID` (0026 says
why).

The downgrade drops the nine indexes in a transaction (a moment's exclusive lock each), for
0026's downgrade to build them again on the tables it rewrites.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from migrations.shapes import PARTIAL_INDEXES_0026 as PARTIAL_INDEXES

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Those of them in the catalogue but invalid, found as `DROP INDEX` finds them (search_path).
INVALID = text(
    "SELECT name FROM unnest(CAST(:names AS text[])) AS name "
    "JOIN pg_index ON indexrelid = to_regclass(name) WHERE NOT indisvalid"
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        # What an earlier run of this migration left half-built.
        invalid = op.get_bind().scalars(INVALID, {"names": list(PARTIAL_INDEXES)}).all()
        for name in invalid:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name, definition in PARTIAL_INDEXES.items():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")
        op.execute("ALTER TABLE requests VALIDATE CONSTRAINT ck_requests_coordinates")


def downgrade() -> None:
    for name in PARTIAL_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
