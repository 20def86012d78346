"""case place: how the case's district and street were found, and how sure

Intake now resolves the address text and the map point of every request to a district and a
street and stores them on the case (`district_code`, `street_code`, already columns) with the
way they were found (`place_method`: given, address, point, both), the match's
confidence (`place_confidence`: exact or partial) and whether the street is only approximate
(`place_approximate`: from an approximate street area or the nearest street point). Cases of
before that carry a district or street got them from the request: they are marked `given`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of `cases`: SQLite would drop a table that rows point at).
    op.add_column("cases", sa.Column("place_method", sa.String(length=16), nullable=True))
    op.add_column("cases", sa.Column("place_confidence", sa.String(length=16), nullable=True))
    op.add_column(
        "cases",
        sa.Column("place_approximate", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE cases SET place_method = 'given' "
        "WHERE district_code IS NOT NULL OR street_code IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("place_approximate")
        batch_op.drop_column("place_confidence")
        batch_op.drop_column("place_method")
