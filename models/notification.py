"""The outbox of messages sent for a case: what was sent, to whom, and that it was sent once.

A row is written before sending and marked sent after, keyed by the workflow's dedupe key, so
an activity retried after a crash does not message the citizen a second time.
"""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.db import session_scope
from models.types import UTCDateTime


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    dedupe_key: str = Field(unique=True, max_length=160)
    audience: str = Field(max_length=16)  # citizen | unit
    channel: str | None = Field(default=None, sa_type=String(16))
    address: str = Field(max_length=254)
    kind: str = Field(max_length=48)
    body: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)  # pending | sent
    provider_id: str | None = Field(default=None, max_length=160)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
        session.add(row)
