"""outbox sender: notices are written with the transition and sent by a separate sender

Until now the activity that wrote a notice's row also sent it. The sender now drains the
`notifications` outbox on its own: it needs the recipient's language (the row held only the
rendered text), the task queue whose senders send it (a sender drains its own queue's rows, as
a worker runs its own queue's workflows; rows without one are sent by whoever wrote them, as the
voice channel's own case-number SMS is), a lease so two senders never send one row at once, and what went wrong
(attempts, the last error, the next try) so staff see a notice that keeps failing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 07:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("language", "queue", "attempts", "next_attempt_at", "lease_until", "last_error")


def upgrade() -> None:
    op.add_column("notifications", sa.Column("language", sa.String(8), nullable=True))
    op.add_column("notifications", sa.Column("queue", sa.String(200), nullable=True))
    op.add_column(
        "notifications",
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "notifications", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "notifications", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("notifications", sa.Column("last_error", sa.Text(), nullable=True))
    # The sender's one query: what is still to send, oldest first.
    op.create_index("ix_notifications_queue_status_id", "notifications", ["queue", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_queue_status_id", table_name="notifications")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_column(name)
