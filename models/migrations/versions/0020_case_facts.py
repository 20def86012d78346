"""case facts: per-case figures kept as the case moves, for rankings over cases, not events

`case_facts` (a row per case: its group keys, copied from `cases`, and its dispatches,
returns, reopened, first resolution, deadline breaches),
`case_fact_returns` (returns per returning unit) and `case_evaluations` (each callback outcome,
its answer unpacked, the case's group keys copied). The tables start empty: a database with cases in it must run
`hotline report rebuild-facts` once after this upgrade (docs/analytics.md).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    utc = models.types.UTCDateTime(timezone=True)
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("lead_unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("street_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("dispatches", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", utc, nullable=True),
        sa.Column("b_acknowledge", sa.Boolean(), nullable=False),
        sa.Column("b_respond", sa.Boolean(), nullable=False),
        sa.Column("b_resolve", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_facts_created_at", "case_facts", ["created_at"])
    op.create_table(
        "case_fact_returns",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id", "unit_code"),
    )
    op.create_table(
        "case_evaluations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("contacted", sa.Boolean(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("superseded_at", utc, nullable=True),
        sa.Column("lead_unit_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("street_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["case_events.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_evaluations_created_at", "case_evaluations", ["created_at"])
    op.create_index("ix_case_evaluations_case_id_id", "case_evaluations", ["case_id", "id"])


def downgrade() -> None:
    op.drop_table("case_evaluations")
    op.drop_table("case_fact_returns")
    op.drop_table("case_facts")
