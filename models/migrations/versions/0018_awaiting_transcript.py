"""awaiting transcript: a voicemail's case waits for a person to type what the caller said

A call recorded where no speech model listens is filed with a placeholder description; the
case is flagged `awaiting_transcript` until staff type the transcript in the console's
transcription queue, and smart dispatch does not classify the placeholder meanwhile. Cases of
before stay unflagged (their placeholder was already classified or dispatched by a person).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of `cases`: SQLite would drop its search triggers).
    op.add_column(
        "cases",
        sa.Column("awaiting_transcript", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_cases_awaiting_transcript", "cases", ["awaiting_transcript"])


def downgrade() -> None:
    op.drop_index("ix_cases_awaiting_transcript", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("awaiting_transcript")
