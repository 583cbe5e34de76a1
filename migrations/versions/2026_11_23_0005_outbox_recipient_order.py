"""outbox: an index for sending each recipient's messages in order

Create Date: 2026-11-23 11:00:00
"""

from migrations.shapes import create_index, drop_indexes

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    create_index(
        "ix_outbox_recipient_pending",
        "outbox",
        ["channel", "recipient", "id"],
        where="status = 'pending'",
    )


def downgrade() -> None:
    drop_indexes("outbox", "ix_outbox_recipient_pending")
