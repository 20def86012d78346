"""notice without case: a unit's notice may concern an area and a category, not a case

未诉先办 alerts (analytics/spikes.py) now go through the `notifications` outbox like every other
notice, so the sender retries them and the console inbox shows them; a spike concerns a
category in a district, not one case, so their rows have no `case_id`. Going down deletes
those rows (the `spike_alerts` table keeps what was detected and when it was queued).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE case_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
