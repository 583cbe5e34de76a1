"""The shapes the migrations repeat: the key, the creation stamp, named constraints, indexes.

Each builds exactly what the spelled-out `sa.Column(...)`/`op.create_index(...)` built before, so
the DDL is unchanged. Names follow the models' naming convention (`app/models/base.py`):
`pk_<table>`, `fk_<table>_<column>_<target>`, `uq_<table>_<first column>`, `ck_<table>_<name>`.
Alembic loads the revision files with the project root on `sys.path` (`prepend_sys_path = .`),
so they import this module as `migrations.shapes`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

# The roles of the first schema (0001); 0003 adds 'integration'.
FIRST_ROLES = "'citizen', 'agent', 'supervisor', 'operator', 'national_admin', 'system'"


def timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    """A `timestamp with time zone` column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def created_at() -> sa.Column[Any]:
    """`created_at`, stamped by the database."""
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def counter(name: str, type_: Any = None) -> sa.Column[Any]:
    """A count or level: an integer (`type_`, `integer` by default), not null, from 0."""
    return sa.Column(name, type_ or sa.Integer(), server_default="0", nullable=False)


def pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """The primary key `pk_<table>`, on `id` unless columns are given."""
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def fk(
    table: str, column: str, target: str, *, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """`table.column` references `target.id`, named `fk_<table>_<column>_<target>`."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    """A unique constraint named after the table and its first column."""
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{columns[0]}"))


def check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    """A check constraint named `ck_<table>_<name>`."""
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def role_check(table: str, column: str, roles: str = FIRST_ROLES) -> sa.CheckConstraint:
    """`column` holds one of the roles, named `ck_<table>_<column>`."""
    return check(table, column, f"{column} IN ({roles})")


def create_entity_table(table: str, *items: sa.SchemaItem, big: bool = False) -> None:
    """A table whose rows have an `id` key (bigint when `big`) and a `created_at` stamp.

    `items` are the other columns, in order, then its constraints; `id` comes first, `created_at`
    after the last column, and `pk_<table>` on `id` is added.
    """
    columns = [item for item in items if isinstance(item, sa.Column)]
    constraints = [item for item in items if not isinstance(item, sa.Column)]
    op.create_table(
        table,
        sa.Column("id", sa.BigInteger() if big else sa.Integer(), nullable=False),
        *columns,
        created_at(),
        *constraints,
        pk(table),
    )


def create_index(
    name: str, table: str, columns: list[Any], *, where: str | None = None, using: str | None = None
) -> None:
    """An index, partial when `where` is given (dropping it needs only its name)."""
    options: dict[str, Any] = {}
    if where is not None:
        options["postgresql_where"] = sa.text(where)
    if using is not None:
        options["postgresql_using"] = using
    op.create_index(name, table, columns, unique=False, **options)


def drop_indexes(table: str, *names: str) -> None:
    """Drop the table's indexes, in the order given."""
    for name in names:
        op.drop_index(name, table_name=table)


def drop_table(table: str, *indexes: str) -> None:
    """Drop the table's own indexes, then the table."""
    drop_indexes(table, *indexes)
    op.drop_table(table)


# Every role, as 0025's and 0026's checks list them (after 0003 added 'integration').
ROLES = "citizen,agent,supervisor,operator,national_admin,integration,system"


def any_of(column: str, members: str) -> str:
    """`column` one of `members` (comma-separated), in the form PostgreSQL keeps such a check:
    compared with a text array constant, ready to compare (0025, 0026)."""
    return f"{column}::text = ANY ('{{{members}}}'::text[])"


# The partial indexes whose condition reads a column whose type 0026 changed, as the models
# declared them then: 0026 drops them (and its downgrade builds them again), 0027 builds them
# concurrently.
PARTIAL_INDEXES_0026: dict[str, str] = {
    "ix_requests_answered_at": "requests (answered_at) WHERE state IN ('answered', 'acknowledged')",
    "ix_requests_running_due": "requests (due_at, id) WHERE state IN ('submitted', 'in_progress')",
    "ix_requests_retention": "requests (closed_at) "
    "WHERE state IN ('closed', 'rejected') AND anonymized_at IS NULL",
    "ix_requests_escalated": "requests (escalation_level, administration_id, due_at, id) "
    "WHERE escalation_level > 0",
    "ix_requests_national": "requests (escalation_level, due_at, id) WHERE escalation_level > 0",
    "ix_outbox_due": "outbox (channel, next_attempt_at) WHERE status = 'pending'",
    "ix_outbox_recipient_pending": "outbox (channel, recipient, id) WHERE status = 'pending'",
    "ix_outbox_parked": "outbox (id) WHERE status = 'parked'",
    "ix_outbox_expiring": "outbox (expires_at) WHERE status = 'pending' AND expires_at IS NOT NULL",
}
