"""The append-only case timeline: the story the citizen sees and the source of every metric.

The database refuses UPDATE and DELETE on `case_events` (triggers in the first migration),
so a bug elsewhere cannot rewrite history.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import CaseStatus
from models.types import UTCDateTime


class CaseEventBase(SQLModel):
    kind: str = Field(max_length=48, index=True)
    actor: str = Field(max_length=120)
    from_status: CaseStatus | None = Field(default=None, sa_type=String(16))
    to_status: CaseStatus | None = Field(default=None, sa_type=String(16))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class CaseEvent(CaseEventBase, table=True):
    __tablename__ = "case_events"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    # Activities retry; the key makes a retried write a no-op instead of a duplicate event.
    dedupe_key: str | None = Field(default=None, unique=True, max_length=160)


class CaseEventPublic(CaseEventBase):
    pass
