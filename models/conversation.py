"""A citizen's text waiting for them to say which of their open cases it is about.

When a proved contact (a phone, a Telegram chat) has several open cases, the hotline asks which
one a text belongs to instead of guessing; the text waits here, one per contact (a later text
replaces it), until the citizen answers with a case number (`intake/conversation.py`).
"""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import IdentityKind, Language
from models.types import UTCDateTime


class PendingText(SQLModel, table=True):
    __tablename__ = "pending_texts"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_pending_text_contact"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: IdentityKind = Field(sa_type=String(16))
    value: str = Field(max_length=254)
    text: str = Field(sa_type=Text)
    language: Language = Field(default=Language.zh, sa_type=String(8))
    # The channel's key of the message that carried the text: filing it later stays idempotent.
    message_key: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
