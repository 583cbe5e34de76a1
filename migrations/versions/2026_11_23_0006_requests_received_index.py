"""requests: an index on the date a request was made, for Open311's date windows

Create Date: 2026-11-23 14:00:00
"""

from migrations.shapes import create_index, drop_indexes

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    create_index("ix_requests_received", "requests", ["received_at", "id"])


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_received")
