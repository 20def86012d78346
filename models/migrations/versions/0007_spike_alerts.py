"""spike alerts (governance analytics)

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-25 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spike_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["area_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["category_code"], ["categories.code"]),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "category_code", "area_code", name="uq_spike_alert"),
    )
    with op.batch_alter_table("spike_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spike_alerts_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spike_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spike_alerts_day"))
    op.drop_table("spike_alerts")
