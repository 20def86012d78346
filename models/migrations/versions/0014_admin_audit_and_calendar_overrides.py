"""admin audit log and calendar overrides

`admin_changes`: one row per change an admin makes in the console (staff, units, catalog
leaves, holidays), who and when, the changed fields before and after as JSON (never a password
or its hash). `calendar_overrides`: extra days off or days worked an admin adds to the
working-day calendar; they win over the holiday file and the holidays package.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_changes_at", "admin_changes", ["at"])
    op.create_index("ix_admin_changes_entity", "admin_changes", ["entity"])
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("calendar_overrides")
    op.drop_index("ix_admin_changes_entity", table_name="admin_changes")
    op.drop_index("ix_admin_changes_at", table_name="admin_changes")
    op.drop_table("admin_changes")
