"""request location: where the matter happened, when the client says

Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.add_column("requests", sa.Column("address", sa.String(length=250), nullable=True))
    op.add_column("requests", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("requests", sa.Column("longitude", sa.Float(), nullable=True))
    op.create_check_constraint(
        op.f("ck_requests_coordinates"),
        "requests",
        "(latitude IS NULL) = (longitude IS NULL) "
        "AND (latitude IS NULL OR latitude BETWEEN -90 AND 90) "
        "AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_requests_coordinates"), "requests", type_="check")
    op.drop_column("requests", "longitude")
    op.drop_column("requests", "latitude")
    op.drop_column("requests", "address")
