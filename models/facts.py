"""Per-case facts kept as the case moves, so rankings aggregate cases instead of events.

They are derived data: `case_events` stays the record, and `hotline report rebuild-facts`
recomputes these rows from it (analytics/facts.py). The grouping keys (lead unit, district,
street, category, channel) are not copied here: they live on `cases`, which the rankings join
on the primary key, so a re-dispatch or a moved place never leaves a stale copy behind.
"""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class CaseFacts(SQLModel, table=True):
    """The process figures of one case (a row once the case has its first process event)."""

    __tablename__ = "case_facts"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)  # the case's, the cohort's date
    dispatches: int = 0  # `dispatched` and `redispatched` events
    returns: int = 0  # `returned` events, whoever returned it
    reopened: bool = False
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the first one
    b_acknowledge: bool = False  # an `sla_breach` for that deadline, ever
    b_respond: bool = False
    b_resolve: bool = False


class CaseFactReturn(SQLModel, table=True):
    """退单 of one case per unit that returned it: returns count against the returner."""

    __tablename__ = "case_fact_returns"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    unit_code: str = Field(primary_key=True, max_length=32)
    n: int = 0


class CaseEvaluation(SQLModel, table=True):
    """One callback outcome (`survey_answered` / `survey_unanswered`), its answer unpacked."""

    __tablename__ = "case_evaluations"
    __table_args__ = (
        Index("ix_case_evaluations_created_at", "created_at"),
        Index("ix_case_evaluations_case_id_id", "case_id", "id"),
    )

    # The event's own id, not a new one: "the last outcome" is the one with the highest id.
    id: int = Field(
        foreign_key="case_events.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    case_id: int = Field(foreign_key="cases.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=48)
    contacted: bool = False
    resolved: bool = False
    satisfaction: str | None = Field(default=None, max_length=24)
    # When the case's next outcome (any later by id, the earliest in time) was recorded: the
    # outcome is a period's last one when it is in the period and not superseded before its end.
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
