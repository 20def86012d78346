"""voice calls: the IVR's state between Twilio webhooks

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-25 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types


revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_calls",
        sa.Column("call_sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("from_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("survey_case_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("stream_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("stream_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("audio_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("case_number", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_sid"),
    )


def downgrade() -> None:
    op.drop_table("voice_calls")
