"""services may require a verified contact; requests record which contact was verified

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "services",
        sa.Column(
            "requires_verified_contact", sa.Boolean(), server_default="false", nullable=False
        ),
    )
    op.add_column("requests", sa.Column("verified_contact", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("requests", "verified_contact")
    op.drop_column("services", "requires_verified_contact")
