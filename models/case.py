"""The case: one citizen request, one public number, whatever channel it came through.

The row mirrors the workflow's current state so that lists and metrics are SQL queries;
the workflow holds the clock, the `case_events` table holds the history.
"""

from datetime import date, datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from models.enums import (
    CaseStatus,
    Channel,
    Language,
    PlaceMethod,
    RequestType,
    Satisfaction,
    Urgency,
)
from models.types import UTCDateTime


class CasePlace(SQLModel):
    """How the case's district and street were found (`dispatch.location`), and how sure."""

    place_method: PlaceMethod | None = Field(default=None, sa_type=String(16))
    place_confidence: str | None = Field(default=None, max_length=16)  # exact | partial
    place_approximate: bool = False  # the street is a good guess from a map point


class CaseBase(SQLModel):
    channel: Channel = Field(sa_type=String(16), index=True)
    language: Language = Field(default=Language.zh, sa_type=String(8))
    type: RequestType = Field(default=RequestType.complaint, sa_type=String(16))
    description: str = Field(sa_type=Text)
    transcript: str | None = Field(default=None, sa_type=Text)
    address: str | None = Field(default=None, max_length=500)
    district_code: str | None = Field(
        default=None, foreign_key="units.code", max_length=32, index=True
    )
    street_code: str | None = Field(
        default=None, foreign_key="units.code", max_length=32, index=True
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    category_code: str | None = Field(
        default=None, foreign_key="categories.code", max_length=32, index=True
    )
    urgency: Urgency = Field(default=Urgency.normal, sa_type=String(16))


class Case(CaseBase, CasePlace, table=True):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("channel", "intake_key", name="uq_case_intake_key"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True, max_length=20)
    status: CaseStatus = Field(default=CaseStatus.accepted, sa_type=String(16), index=True)
    supervised: bool = Field(default=False, index=True)
    lead_unit_code: str | None = Field(
        default=None, foreign_key="units.code", max_length=32, index=True
    )
    citizen_id: int | None = Field(default=None, foreign_key="citizens.id", index=True)
    intake_key: str | None = Field(default=None, max_length=128)
    contact_name: str | None = Field(default=None, max_length=120)  # as given, never verified
    merged_into_id: int | None = Field(default=None, foreign_key="cases.id")
    reopen_count: int = 0
    # A call recording no machine could transcribe: the description is a placeholder until a
    # person types what the caller said (console transcription queue); smart dispatch waits.
    awaiting_transcript: bool = Field(default=False, index=True)

    acknowledge_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    respond_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # 回访: the citizen's own judgement, the source of the three rates.
    survey_contacted: bool | None = None
    survey_resolved: bool | None = None
    satisfaction: Satisfaction | None = Field(default=None, sa_type=String(24))
    reply: str | None = Field(default=None, sa_type=Text)
    extra: dict[str, object] = Field(default_factory=dict, sa_type=JSON)


class CaseAssistingUnit(SQLModel, table=True):
    """协办: units that help the lead unit; the lead stays on `Case.lead_unit_code`."""

    __tablename__ = "case_assisting_units"
    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    unit_code: str = Field(foreign_key="units.code", primary_key=True, max_length=32)


class CaseNumberCounter(SQLModel, table=True):
    """Per-day sequence behind `YYYYMMDD-NNNNNN`, bumped inside the intake transaction."""

    __tablename__ = "case_number_counters"
    day: date = Field(primary_key=True)
    last: int = 0


class CasePublic(CaseBase, CasePlace):
    """What leaves the server: no citizen identity, no internal keys."""

    number: str
    status: CaseStatus
    supervised: bool
    lead_unit_code: str | None
    assisting_unit_codes: list[str] = []
    acknowledge_due_at: datetime | None
    respond_due_at: datetime | None
    resolve_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    satisfaction: Satisfaction | None


class RequestReceipt(SQLModel):
    """The answer to a request: its number to quote, nothing of its contents."""

    number: str
    status: CaseStatus
    created_at: datetime


class CasesPublic(SQLModel):
    data: list[CasePublic]
    count: int
