"""canned responses per administration; the satisfaction survey's dimensions and counters

Create Date: 2026-11-29 22:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.shapes import counter, create_entity_table, fk, timestamp, unique

revision: str = "0015"
down_revision: str | None = "0014"

SURVEY_COUNTERS = [
    f"{dimension}_{part}"
    for dimension in ("speed", "clarity", "courtesy", "outcome")
    for part in ("sum", "count")
]


def upgrade() -> None:
    create_entity_table(
        "canned_responses",
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        timestamp("updated_at", nullable=False),
        fk("canned_responses", "administration_id", "administrations"),
        unique("canned_responses", "administration_id", "code"),
    )
    op.add_column(
        "requests",
        sa.Column("rating_dimensions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    for name in SURVEY_COUNTERS:
        op.add_column("request_stats", counter(name))


def downgrade() -> None:
    for name in reversed(SURVEY_COUNTERS):
        op.drop_column("request_stats", name)
    op.drop_column("requests", "rating_dimensions")
    op.drop_table("canned_responses")
