"""requests: an index on the date a request was made, for Open311's date windows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_requests_received", "requests", ["received_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_requests_received", table_name="requests")
