"""canned responses per administration; the satisfaction survey's dimensions and counters

Revision ID: 0015
Revises: 0008
Create Date: 2026-11-29 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURVEY_COUNTERS = [
    f"{dimension}_{part}"
    for dimension in ("speed", "clarity", "courtesy", "outcome")
    for part in ("sum", "count")
]


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["administrations.id"],
            name=op.f("fk_canned_responses_administration_id_administrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
        sa.UniqueConstraint(
            "administration_id", "code", name=op.f("uq_canned_responses_administration_id")
        ),
    )
    op.add_column(
        "requests",
        sa.Column("rating_dimensions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    for name in SURVEY_COUNTERS:
        op.add_column(
            "request_stats", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    for name in reversed(SURVEY_COUNTERS):
        op.drop_column("request_stats", name)
    op.drop_column("requests", "rating_dimensions")
    op.drop_table("canned_responses")
