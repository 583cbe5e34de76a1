"""users: token revocation, TOTP second factor; password_resets: one-time reset links

Create Date: 2026-11-29 21:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.shapes import create_entity_table, create_index, drop_table, fk, timestamp, unique

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("users", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    create_entity_table(
        "password_resets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        timestamp("expires_at", nullable=False),
        timestamp("used_at"),
        fk("password_resets", "user_id", "users", ondelete="CASCADE"),
        unique("password_resets", "token_hash"),
    )
    create_index("ix_password_resets_user", "password_resets", ["user_id", "created_at"])


def downgrade() -> None:
    drop_table("password_resets", "ix_password_resets_user")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "totp_secret")
    op.drop_column("users", "token_version")
