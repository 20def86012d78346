"""What the SMS channel and the per-sender rate limiter remember between webhooks.

`SmsMessage` is one row per Twilio message, either way: inbound rows keep the reply we gave (so a
webhook Twilio delivers twice gets the same answer and changes nothing) and what it did (a case,
details, a survey answer, the one clarifying question); outbound rows keep the segments sent and
the delivery status Twilio reports. `RateLimitWindow` counts a sender's messages per window.
"""

from datetime import datetime

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.types import UTCDateTime


class SmsMessage(SQLModel, table=True):
    __tablename__ = "sms_messages"
    id: int | None = Field(default=None, primary_key=True)
    sid: str = Field(unique=True, max_length=64)  # Twilio's MessageSid
    direction: str = Field(max_length=8)  # inbound | outbound
    phone: str = Field(max_length=40, index=True)  # the citizen's number, E.164
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    # inbound: what the text did (new_case, details, survey_answer, survey_clarify, status, ...)
    # outbound: the notice kind (dispatched, resolved, survey, ...)
    kind: str = Field(max_length=48)
    body: str = Field(default="", sa_type=Text)  # inbound: our reply; outbound: the text sent
    segments: int = 0
    encoding: str = Field(default="", max_length=8)  # GSM-7 | UCS-2
    status: str = Field(default="", max_length=16)  # outbound: Twilio's MessageStatus
    error_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RateLimitWindow(SQLModel, table=True):
    """A sender's message count in one fixed window, and whether they were told they are over."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (
        UniqueConstraint("channel", "sender", "window_start", name="uq_rate_limit_window"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16))
    sender: str = Field(max_length=254)
    window_start: int = Field(sa_type=BigInteger)  # epoch seconds, a multiple of the window
    count: int = 0
    told: bool = False
