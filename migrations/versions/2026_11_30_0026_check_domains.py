"""check domains: the single-column checks of requests, request_events and outbox as domains

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 10:00:00

PostgreSQL reads each CHECK constraint of a table from its stored text and plans it again at
every statement that writes the table (nothing keeps it between statements): the fifteen of
`requests`, `request_events` and `outbox` cost a fifth of a filing's instructions. A domain's
constraints are planned once per connection (its type cache): the columns restricted to a few
values (or a range) are typed by a domain with the same condition (`VALUE` for the column),
and only the conditions over several columns stay checks of their table (`ck_requests_contact`,
`ck_requests_coordinates`, now both coordinates or neither, each one's range in its domain).
The values allowed are exactly those of before.

No table is rewritten nor scanned under the exclusive lock, and everything here is one
transaction: if any of it fails, nothing of it stays and the version stays 0025.
- each domain is created without its constraint, so that typing a column by it changes the
  catalogue only (a domain over the column's own type, nothing to check); its constraint is
  then added `NOT VALID` in the same transaction, the table checks it replaces dropped: every
  row already passed the same condition, and every row written after the commit is checked.
  The domain constraints stay `NOT VALID`, for good: on PostgreSQL 15
  `ALTER DOMAIN ... VALIDATE CONSTRAINT` scans every table using the domain under a lock that
  stops their writers (`ShareLock`), which would stop filings for as long as it reads 23
  million requests, and would prove nothing the dropped table checks had not (a value
  written after the commit is checked whether the constraint is validated or not);
- a partial index whose condition reads a column changing type would be built again under the
  lock (PostgreSQL keeps only the indexes without a condition or an expression): those nine
  are dropped here and built again `CONCURRENTLY` by migration 0027, which runs outside any
  transaction and can be run again after a failure. Between this commit and the end of 0027
  (on 23 million requests, minutes) the clock, the auto-close and retention scans, the
  national and escalated lists and the dispatcher's claim read without them: slower, not
  wrong. Run `upgrade head` in one go, and again if 0027 stopped;
- `ck_requests_coordinates` is added `NOT VALID`; 0027 validates it, without blocking writers.

The downgrade does rewrite the three tables under the exclusive lock: a column typed by a
domain has no length of its own, so PostgreSQL copies every row to check it against
`varchar(N)` again. The table checks come back valid, checked in that same pass (no second
scan), and the nine partial indexes (dropped by 0027's downgrade) are built on the locked
tables in the same transaction. Run it in a maintenance window.
"""

from collections.abc import Sequence

from alembic import op

from migrations.shapes import PARTIAL_INDEXES_0026 as PARTIAL_INDEXES
from migrations.shapes import ROLES, any_of

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# domain: (its base type, its condition on VALUE)
DOMAINS: dict[str, tuple[str, str]] = {
    "request_kind": (
        "varchar(32)",
        any_of("VALUE", "complaint,observation,suggestion,information_request"),
    ),
    "request_state": (
        "varchar(32)",
        any_of(
            "VALUE",
            "submitted,in_progress,awaiting_citizen,answered,acknowledged,appealed,closed,rejected",
        ),
    ),
    "request_channel": ("varchar(32)", any_of("VALUE", "web,mobile,call_center,mail,integration")),
    "person_type": ("varchar(16)", any_of("VALUE", "natural,legal")),
    "rejection_reason": (
        "varchar(32)",
        any_of("VALUE", "out_of_scope,duplicate,abusive,before_courts,incomplete"),
    ),
    "request_outcome": ("varchar(32)", any_of("VALUE", "granted,partially_granted,refused")),
    "request_language": ("varchar(2)", any_of("VALUE", "ar,fr,en")),
    "escalation_level": ("smallint", "VALUE BETWEEN 0 AND 2"),
    "rating_score": ("smallint", "VALUE BETWEEN 1 AND 5"),
    "latitude": ("float8", "VALUE BETWEEN '-90'::float8 AND '90'::float8"),
    "longitude": ("float8", "VALUE BETWEEN '-180'::float8 AND '180'::float8"),
    "role": ("varchar(32)", any_of("VALUE", ROLES)),
    "outbox_channel": ("varchar(16)", any_of("VALUE", "email,sms,webhook")),
    "outbox_status": ("varchar(16)", any_of("VALUE", "pending,sent,parked,expired")),
}

# table: {column: (its domain, the table check it replaces, that check's condition)}
COLUMNS: dict[str, dict[str, tuple[str, str, str]]] = {
    "requests": {
        "kind": (
            "request_kind",
            "kind",
            any_of("kind", "complaint,observation,suggestion,information_request"),
        ),
        "state": (
            "request_state",
            "state",
            any_of(
                "state",
                "submitted,in_progress,awaiting_citizen,answered,acknowledged,appealed,closed,"
                "rejected",
            ),
        ),
        "channel": (
            "request_channel",
            "channel",
            any_of("channel", "web,mobile,call_center,mail,integration"),
        ),
        "person_type": ("person_type", "person_type", any_of("person_type", "natural,legal")),
        "rejection_reason": (
            "rejection_reason",
            "rejection_reason",
            "rejection_reason IS NULL OR "
            + any_of("rejection_reason", "out_of_scope,duplicate,abusive,before_courts,incomplete"),
        ),
        "outcome": (
            "request_outcome",
            "outcome",
            "outcome IS NULL OR " + any_of("outcome", "granted,partially_granted,refused"),
        ),
        "language": ("request_language", "language", any_of("language", "ar,fr,en")),
        "escalation_level": (
            "escalation_level",
            "escalation_level",
            "escalation_level BETWEEN 0 AND 2",
        ),
        "rating_score": (
            "rating_score",
            "rating",
            "rating_score IS NULL OR rating_score BETWEEN 1 AND 5",
        ),
        # Both coordinates' ranges were in `ck_requests_coordinates` (below).
        "latitude": ("latitude", "", ""),
        "longitude": ("longitude", "", ""),
    },
    "request_events": {
        "actor_role": ("role", "actor_role", any_of("actor_role", ROLES)),
    },
    "outbox": {
        "channel": ("outbox_channel", "channel", any_of("channel", "email,sms,webhook")),
        "status": ("outbox_status", "status", any_of("status", "pending,sent,parked,expired")),
    },
}

COORDINATES = (
    # now (each one's range in its domain), before
    "(latitude IS NULL) = (longitude IS NULL)",
    "(latitude IS NULL) = (longitude IS NULL) "
    "AND (latitude IS NULL OR latitude BETWEEN '-90'::float8 AND '90'::float8) "
    "AND (longitude IS NULL OR longitude BETWEEN '-180'::float8 AND '180'::float8)",
)


def upgrade() -> None:
    for name in PARTIAL_INDEXES:
        op.execute(f"DROP INDEX {name}")
    for name, (base, _) in DOMAINS.items():
        op.execute(f"CREATE DOMAIN {name} AS {base}")
    for table, columns in COLUMNS.items():
        changes = [
            f"DROP CONSTRAINT ck_{table}_{check}" for _, check, _ in columns.values() if check
        ]
        changes += [
            f"ALTER COLUMN {column} TYPE {domain}" for column, (domain, _, _) in columns.items()
        ]
        if table == "requests":
            changes += [
                "DROP CONSTRAINT ck_requests_coordinates",
                f"ADD CONSTRAINT ck_requests_coordinates CHECK ({COORDINATES[0]}) NOT VALID",
            ]
        op.execute(f"ALTER TABLE {table} " + ", ".join(changes))
    for name, (_, condition) in DOMAINS.items():
        op.execute(f"ALTER DOMAIN {name} ADD CONSTRAINT {name}_check CHECK ({condition}) NOT VALID")


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        changes = []
        for column, (domain, check, condition) in columns.items():
            changes.append(f"ALTER COLUMN {column} TYPE {DOMAINS[domain][0]}")
            if check:
                changes.append(f"ADD CONSTRAINT ck_{table}_{check} CHECK ({condition})")
        if table == "requests":
            changes += [
                "DROP CONSTRAINT ck_requests_coordinates",
                f"ADD CONSTRAINT ck_requests_coordinates CHECK ({COORDINATES[1]})",
            ]
        op.execute(f"ALTER TABLE {table} " + ", ".join(changes))
    for name in DOMAINS:
        op.execute(f"DROP DOMAIN {name}")
    for name, definition in PARTIAL_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {definition}")
