"""compact checks: the same CHECK constraints, their constants stored ready to compare

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 09:00:00

PostgreSQL reads each CHECK constraint of a table from its stored text and plans it again at
every statement that writes the table (nothing keeps it between statements), so a filing paid
for every constraint of `requests`, `request_events` and `outbox` each time: a quarter of its
work. `state IN ('submitted', ...)` is stored as an array built from one constant per member,
each cast, then folded into an array at every planning; `latitude >= -90` as an integer cast to
a float. Written as one array constant (`state::text = ANY ('{submitted,...}'::text[])`) and
float constants, the same conditions are a third as long to read and nothing to fold: a tenth of
a filing's instructions. The values allowed are exactly those of before.

Each table's constraints are swapped by one `ALTER TABLE` (`NOT VALID`: no scan under its
exclusive lock), then validated after that commits, which scans without blocking writers.
"""

from collections.abc import Sequence

from alembic import op

from migrations.shapes import ROLES, any_of

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, constraint): (the condition now, the condition before), both as written.
CHECKS: dict[tuple[str, str], tuple[str, str]] = {
    ("requests", "kind"): (
        any_of("kind", "complaint,observation,suggestion,information_request"),
        "kind IN ('complaint', 'observation', 'suggestion', 'information_request')",
    ),
    ("requests", "state"): (
        any_of(
            "state",
            "submitted,in_progress,awaiting_citizen,answered,acknowledged,appealed,closed,rejected",
        ),
        "state IN ('submitted', 'in_progress', 'awaiting_citizen', 'answered', 'acknowledged',"
        " 'appealed', 'closed', 'rejected')",
    ),
    ("requests", "channel"): (
        any_of("channel", "web,mobile,call_center,mail,integration"),
        "channel IN ('web', 'mobile', 'call_center', 'mail', 'integration')",
    ),
    ("requests", "person_type"): (
        any_of("person_type", "natural,legal"),
        "person_type IN ('natural', 'legal')",
    ),
    ("requests", "rejection_reason"): (
        "rejection_reason IS NULL OR "
        + any_of("rejection_reason", "out_of_scope,duplicate,abusive,before_courts,incomplete"),
        "rejection_reason IS NULL OR rejection_reason IN ('out_of_scope', 'duplicate',"
        " 'abusive', 'before_courts', 'incomplete')",
    ),
    ("requests", "language"): (
        any_of("language", "ar,fr,en"),
        "language IN ('ar', 'fr', 'en')",
    ),
    ("requests", "outcome"): (
        "outcome IS NULL OR " + any_of("outcome", "granted,partially_granted,refused"),
        "outcome IS NULL OR outcome IN ('granted', 'partially_granted', 'refused')",
    ),
    ("requests", "contact"): (
        "email IS NOT NULL OR phone IS NOT NULL OR "
        + any_of("channel", "mail,call_center")
        + " OR anonymized_at IS NOT NULL",
        "email IS NOT NULL OR phone IS NOT NULL OR channel IN ('mail', 'call_center')"
        " OR anonymized_at IS NOT NULL",
    ),
    ("requests", "coordinates"): (
        "(latitude IS NULL) = (longitude IS NULL) "
        "AND (latitude IS NULL OR latitude BETWEEN '-90'::float8 AND '90'::float8) "
        "AND (longitude IS NULL OR longitude BETWEEN '-180'::float8 AND '180'::float8)",
        "(latitude IS NULL) = (longitude IS NULL) "
        "AND (latitude IS NULL OR latitude BETWEEN -90 AND 90) "
        "AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
    ),
    ("request_events", "actor_role"): (
        any_of("actor_role", ROLES),
        "actor_role IN ('citizen', 'agent', 'supervisor', 'operator', 'national_admin',"
        " 'integration', 'system')",
    ),
    ("messages", "author_role"): (
        any_of("author_role", ROLES),
        "author_role IN ('citizen', 'agent', 'supervisor', 'operator', 'national_admin',"
        " 'integration', 'system')",
    ),
    ("attachments", "uploaded_by_role"): (
        any_of("uploaded_by_role", ROLES),
        "uploaded_by_role IN ('citizen', 'agent', 'supervisor', 'operator', 'national_admin',"
        " 'integration', 'system')",
    ),
    ("users", "role"): (
        any_of("role", ROLES),
        "role IN ('citizen', 'agent', 'supervisor', 'operator', 'national_admin',"
        " 'integration', 'system')",
    ),
    ("outbox", "channel"): (
        any_of("channel", "email,sms,webhook"),
        "channel IN ('email', 'sms', 'webhook')",
    ),
    ("outbox", "status"): (
        any_of("status", "pending,sent,parked,expired"),
        "status IN ('pending', 'sent', 'parked', 'expired')",
    ),
}


def _replace(which: int) -> None:
    tables: dict[str, list[str]] = {}
    for (table, name), conditions in CHECKS.items():
        constraint = f"ck_{table}_{name}"
        tables.setdefault(table, []).append(
            f"DROP CONSTRAINT {constraint}, "
            f"ADD CONSTRAINT {constraint} CHECK ({conditions[which]}) NOT VALID"
        )
    for table, changes in tables.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(changes))
    # Checked against the rows after the swap is committed: `VALIDATE CONSTRAINT` scans a
    # table without blocking its writers (the swap's exclusive lock is held only for the
    # catalogue change), so 23 million requests keep being filed and updated meanwhile.
    with op.get_context().autocommit_block():
        for table, name in CHECKS:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT ck_{table}_{name}")


def upgrade() -> None:
    _replace(0)


def downgrade() -> None:
    _replace(1)
