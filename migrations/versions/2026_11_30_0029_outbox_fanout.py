"""outbox fan-out: a filing's messages in one outbox row, written out by the dispatcher

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 22:10:00

A filing writes its messages (acknowledgements, supervisors, webhooks) as one outbox row of
channel `fanout`; the dispatcher writes each out in a row of its own, whose `place` (the
fan-out's id) keeps it ahead of what was written after the filing for the same recipient.

Catalogue changes only, no table rewritten or scanned: the channel's domain accepts `fanout`
(its constraint replaced `NOT VALID`, as migration 0026 added it: every row passes the wider
condition already), and `outbox.place` is a new nullable column.

The downgrade refuses while a fan-out is pending (its messages are not written out yet: run
the dispatcher until none is); the fan-outs already written out are deleted (their messages
are rows of their own), then the column and the narrower condition go.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _channels(values: str) -> None:
    op.execute("ALTER DOMAIN outbox_channel DROP CONSTRAINT outbox_channel_check")
    op.execute(
        "ALTER DOMAIN outbox_channel ADD CONSTRAINT outbox_channel_check "
        f"CHECK (VALUE::text = ANY ('{{{values}}}'::text[])) NOT VALID"
    )


def upgrade() -> None:
    _channels("email,sms,webhook,fanout")
    op.add_column("outbox", sa.Column("place", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    pending = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM outbox WHERE channel = 'fanout' AND status = 'pending'")
    )
    if pending:
        raise RuntimeError(
            f"{pending} fan-outs are not written out yet: run the dispatcher until none is "
            "pending, then downgrade"
        )
    op.execute("DELETE FROM outbox WHERE channel = 'fanout'")
    op.drop_column("outbox", "place")
    _channels("email,sms,webhook")
