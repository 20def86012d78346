"""category units: a leaf names its department or utility; branches name their service areas

`categories.unit_code` is the department or utility responsible for a leaf (None: the street,
district or city of the place, as `unit_kind` says); `units.service_areas` lists the districts
(or streets) a branch serves, so dispatch picks the branch covering the place. Existing
installations get the shipped units with `hotline db seed` and the shipped leaves' units with
`hotline catalog load models/seed_data/catalog.csv`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service_areas", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_categories_unit_code_units", "units", ["unit_code"], ["code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_constraint("fk_categories_unit_code_units", type_="foreignkey")
        batch_op.drop_column("unit_code")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("service_areas")
