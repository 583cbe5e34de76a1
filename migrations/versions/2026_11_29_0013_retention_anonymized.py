"""requests: anonymized_at, the retention purge's index, a contact may go once anonymized

Create Date: 2026-11-29 22:00:00
"""

from alembic import op

from migrations.shapes import create_index, drop_indexes, timestamp

revision: str = "0013"
down_revision: str | None = "0008"

OLD_CONTACT = "email IS NOT NULL OR phone IS NOT NULL OR channel IN ('mail', 'call_center')"


def upgrade() -> None:
    op.add_column("requests", timestamp("anonymized_at"))
    op.drop_constraint(op.f("ck_requests_contact"), "requests", type_="check")
    op.create_check_constraint(
        op.f("ck_requests_contact"), "requests", f"{OLD_CONTACT} OR anonymized_at IS NOT NULL"
    )
    create_index(
        "ix_requests_retention",
        "requests",
        ["closed_at"],
        where="state IN ('closed', 'rejected') AND anonymized_at IS NULL",
    )


def downgrade() -> None:
    drop_indexes("requests", "ix_requests_retention")
    op.drop_constraint(op.f("ck_requests_contact"), "requests", type_="check")
    op.create_check_constraint(op.f("ck_requests_contact"), "requests", OLD_CONTACT)
    op.drop_column("requests", "anonymized_at")
