"""information requests, api keys, faq, statistics

Create Date: 2026-11-22 23:20:27.770989
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shapes import (
    FIRST_ROLES,
    counter,
    create_entity_table,
    create_index,
    drop_indexes,
    drop_table,
    fk,
    pk,
    timestamp,
    unique,
)

revision: str = "0003"
down_revision: str | None = "0002"


# Check constraints follow the vocabulary (new kind, state, outcome and role).
ROLES = "'citizen', 'agent', 'supervisor', 'operator', 'national_admin', 'integration', 'system'"
KINDS = "'complaint', 'observation', 'suggestion', 'information_request'"
OLD_KINDS = "'complaint', 'observation', 'suggestion'"
STATES = "'submitted', 'in_progress', 'awaiting_citizen', 'answered', 'acknowledged', 'appealed', 'closed', 'rejected'"
OLD_STATES = "'submitted', 'in_progress', 'awaiting_citizen', 'answered', 'acknowledged', 'closed', 'rejected'"
CHECKS = [
    # (table, constraint, column, new values, old values)
    ("requests", "kind", "kind", KINDS, OLD_KINDS),
    ("requests", "state", "state", STATES, OLD_STATES),
    ("request_events", "actor_role", "actor_role", ROLES, FIRST_ROLES),
    ("messages", "author_role", "author_role", ROLES, FIRST_ROLES),
    ("attachments", "uploaded_by_role", "uploaded_by_role", ROLES, FIRST_ROLES),
    ("users", "role", "role", ROLES, FIRST_ROLES),
]


def _recheck(new: bool) -> None:
    for table, name, column, values, old in CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
        op.create_check_constraint(
            op.f(f"ck_{table}_{name}"), table, f"{column} IN ({values if new else old})"
        )


def upgrade() -> None:
    create_entity_table(
        "faq_entries",
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("answer", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        timestamp("updated_at", nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    create_index("ix_faq_entries_topic", "faq_entries", ["topic", "position"])
    create_entity_table(
        "api_keys",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        timestamp("revoked_at"),
        fk("api_keys", "administration_id", "administrations"),
        unique("api_keys", "key_hash"),
    )
    create_index("ix_api_keys_administration", "api_keys", ["administration_id"])
    op.create_table(
        "request_stats",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        timestamp("month", nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("processing_seconds", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        fk("request_stats", "administration_id", "administrations"),
        pk("request_stats", "administration_id", "service_id", "kind", "month"),
    )
    op.add_column("requests", timestamp("first_answered_at"))
    op.add_column(
        "requests", sa.Column("urgent", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("requests", counter("extension_count"))
    op.add_column("requests", sa.Column("outcome", sa.String(length=32), nullable=True))
    op.add_column("requests", sa.Column("refusal_ground", sa.Text(), nullable=True))
    op.add_column("requests", sa.Column("public_id", sa.String(length=24), nullable=True))
    op.create_unique_constraint(op.f("uq_requests_public_id"), "requests", ["public_id"])
    op.create_check_constraint(
        op.f("ck_requests_outcome"),
        "requests",
        "outcome IS NULL OR outcome IN ('granted', 'partially_granted', 'refused')",
    )
    create_index("ix_requests_created", "requests", ["created_at", "id"])
    _recheck(new=True)


def downgrade() -> None:
    _recheck(new=False)
    drop_indexes("requests", "ix_requests_created")
    op.drop_constraint(op.f("ck_requests_outcome"), "requests", type_="check")
    op.drop_constraint(op.f("uq_requests_public_id"), "requests", type_="unique")
    for column in (
        "public_id",
        "refusal_ground",
        "outcome",
        "extension_count",
        "urgent",
        "first_answered_at",
    ):
        op.drop_column("requests", column)
    op.drop_table("request_stats")
    drop_table("api_keys", "ix_api_keys_administration")
    drop_table("faq_entries", "ix_faq_entries_topic")
