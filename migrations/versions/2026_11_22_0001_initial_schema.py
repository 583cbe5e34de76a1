"""initial schema: catalogue, staff, requests, history, messages

Create Date: 2026-11-22 22:41:47.386106
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shapes import (
    check,
    create_entity_table,
    create_index,
    created_at,
    drop_table,
    fk,
    pk,
    role_check,
    timestamp,
    unique,
)

revision: str = "0001"
down_revision: str | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    create_entity_table(
        "administrations",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", JSONB, nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("answer_days", sa.Integer(), nullable=True),
        sa.Column("reopen_window_days", sa.Integer(), nullable=True),
        sa.Column("max_reopens", sa.Integer(), nullable=True),
        sa.Column("is_sample", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        fk("administrations", "parent_id", "administrations"),
        unique("administrations", "code"),
    )
    create_index("ix_administrations_parent_id", "administrations", ["parent_id"])
    create_index(op.f("ix_administrations_sector"), "administrations", ["sector"])
    op.create_table(
        "idempotency_records",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        timestamp("expires_at", nullable=False),
        created_at(),
        pk("idempotency_records", "scope", "key"),
    )
    create_index("ix_idempotency_records_expires_at", "idempotency_records", ["expires_at"])
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        timestamp("window_ends_at", nullable=False),
        pk("throttle_counters", "key"),
    )
    create_index("ix_throttle_counters_window_ends_at", "throttle_counters", ["window_ends_at"])
    create_entity_table(
        "services",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", JSONB, nullable=False),
        sa.Column("description", JSONB, nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("answer_days", sa.Integer(), nullable=True),
        sa.Column("reopen_window_days", sa.Integer(), nullable=True),
        sa.Column("attributes", JSONB, nullable=False),
        sa.Column("required_documents", JSONB, nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        fk("services", "administration_id", "administrations"),
        unique("services", "administration_id", "code"),
    )
    create_entity_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        check(
            "users",
            "administration_matches_role",
            "(role IN ('agent', 'supervisor')) = (administration_id IS NOT NULL)",
        ),
        role_check("users", "role"),
        fk("users", "administration_id", "administrations"),
        unique("users", "email"),
    )
    create_index(op.f("ix_users_administration_id"), "users", ["administration_id"])
    create_entity_table(
        "requests",
        sa.Column("tracking_number", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("attributes", JSONB, nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("person_type", sa.String(length=16), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("organization_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        timestamp("received_at", nullable=False),
        timestamp("clock_started_at", nullable=False),
        timestamp("due_at", nullable=False),
        timestamp("paused_at"),
        timestamp("answered_at"),
        timestamp("closed_at"),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("rejection_reason", sa.String(length=32), nullable=True),
        sa.Column("rating_score", sa.SmallInteger(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        timestamp("rated_at"),
        timestamp("updated_at", nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple'::regconfig, search_text)", persisted=True),
            nullable=False,
        ),
        check(
            "requests",
            "channel",
            "channel IN ('web', 'mobile', 'call_center', 'mail', 'integration')",
        ),
        check(
            "requests",
            "contact",
            "email IS NOT NULL OR phone IS NOT NULL OR channel IN ('mail', 'call_center')",
        ),
        check("requests", "kind", "kind IN ('complaint', 'observation', 'suggestion')"),
        check("requests", "language", "language IN ('ar', 'fr', 'en')"),
        check("requests", "person_type", "person_type IN ('natural', 'legal')"),
        check(
            "requests",
            "rejection_reason",
            "rejection_reason IS NULL OR rejection_reason IN ('out_of_scope', 'duplicate', 'abusive', 'before_courts', 'incomplete')",
        ),
        check(
            "requests",
            "state",
            "state IN ('submitted', 'in_progress', 'awaiting_citizen', 'answered', 'acknowledged', 'closed', 'rejected')",
        ),
        check("requests", "rating", "rating_score IS NULL OR rating_score BETWEEN 1 AND 5"),
        fk("requests", "administration_id", "administrations"),
        fk("requests", "assignee_id", "users"),
        fk("requests", "operator_id", "users"),
        fk("requests", "service_id", "services"),
        unique("requests", "tracking_number"),
        big=True,
    )
    create_index("ix_requests_admin_state", "requests", ["administration_id", "state"])
    create_index(
        "ix_requests_answered_at",
        "requests",
        ["answered_at"],
        where="state IN ('answered', 'acknowledged')",
    )
    create_index(
        "ix_requests_assignee", "requests", ["assignee_id"], where="assignee_id IS NOT NULL"
    )
    create_index("ix_requests_queue_created", "requests", ["administration_id", "created_at", "id"])
    create_index("ix_requests_queue_due", "requests", ["administration_id", "due_at", "id"])
    create_index("ix_requests_search", "requests", ["search_vector"], using="gin")
    create_index("ix_requests_service", "requests", ["service_id"])
    create_entity_table(
        "messages",
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        role_check("messages", "author_role"),
        fk("messages", "author_id", "users"),
        fk("messages", "request_id", "requests"),
        big=True,
    )
    create_index("ix_messages_request", "messages", ["request_id", "id"])
    create_entity_table(
        "request_events",
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        role_check("request_events", "actor_role"),
        fk("request_events", "actor_id", "users"),
        fk("request_events", "request_id", "requests"),
        big=True,
    )
    create_index("ix_request_events_request", "request_events", ["request_id", "id"])


def downgrade() -> None:
    drop_table("request_events", "ix_request_events_request")
    drop_table("messages", "ix_messages_request")
    drop_table(
        "requests",
        "ix_requests_service",
        "ix_requests_search",
        "ix_requests_queue_due",
        "ix_requests_queue_created",
        "ix_requests_assignee",
        "ix_requests_answered_at",
        "ix_requests_admin_state",
    )
    drop_table("users", op.f("ix_users_administration_id"))
    drop_table("services")
    drop_table("throttle_counters", "ix_throttle_counters_window_ends_at")
    drop_table("idempotency_records", "ix_idempotency_records_expires_at")
    drop_table("administrations", op.f("ix_administrations_sector"), "ix_administrations_parent_id")
