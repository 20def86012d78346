"""What the voice channel remembers about a call between Twilio's webhooks.

Twilio calls a fresh webhook at every step of the IVR, possibly on another API worker, and the
transcript arrives over a websocket in between; so the state of a call lives here, keyed by
CallSid, never in one process's memory.
"""

from datetime import datetime

from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.types import UTCDateTime


class VoiceCall(SQLModel, table=True):
    __tablename__ = "voice_calls"
    call_sid: str = Field(primary_key=True, max_length=64)
    language: str = Field(default="zh", sa_type=String(8))
    from_number: str | None = Field(default=None, max_length=40)
    purpose: str = Field(default="intake", max_length=16)  # intake | survey
    survey_case_number: str | None = Field(default=None, max_length=20)
    # listening | heard | interrupted | failed: how the last stream of the call ended
    stream_state: str | None = Field(default=None, max_length=16)
    stream_error: str | None = Field(default=None, max_length=500)
    transcript: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0  # descriptions taken on this call (re-record, nothing heard)
    audio_path: str | None = Field(default=None, max_length=500)
    case_number: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
