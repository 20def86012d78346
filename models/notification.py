"""The outbox of messages for a case (or a unit): what is to be sent, to whom, and that it was
sent once.

The transition's activity writes the row (keyed by the workflow's dedupe key, so a retried
activity writes it once) in the same transaction as the event; the sender (`notices.sender`)
sends it and marks it sent. A row that keeps failing stays visible with its last error.
"""

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import session_scope
from models.types import UTCDateTime


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_queue_status_id", "queue", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    # None: a notice about no one case (a 未诉先办 alert to a unit: analytics/spikes.py).
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    dedupe_key: str = Field(unique=True, max_length=160)
    audience: str = Field(max_length=16)  # citizen | unit
    channel: str | None = Field(default=None, sa_type=String(16))
    address: str = Field(max_length=254)
    kind: str = Field(max_length=48)
    body: str = Field(sa_type=Text)
    language: str | None = Field(default=None, max_length=8)  # the recipient's, for the sender
    # The task queue whose senders send it; None: sent by whoever wrote it (voice's own SMS).
    queue: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    provider_id: str | None = Field(default=None, max_length=160)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The sender's bookkeeping: tries so far, when to try next, who holds the row now.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)


PROVIDER_ID_LENGTH = 160


def mark_sent(*, engine: Engine, notification_id: int, provider_id: str) -> None:
    """The provider took the message: the row is never sent again (workflow notices and the
    voice channel's own case-number SMS share this outbox)."""
    with session_scope(engine) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        row.status = "sent"
        row.provider_id = provider_id[:PROVIDER_ID_LENGTH]
        row.sent_at = utcnow()
        row.lease_until = None
        row.last_error = None
        session.add(row)
