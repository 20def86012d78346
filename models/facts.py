"""Per-case facts kept as the case moves, so rankings aggregate cases instead of events.

They are derived data: `case_events` stays the record, and `hotline report rebuild-facts`
recomputes these rows from it (analytics/facts.py). The grouping keys (lead unit, district,
street, category, channel, accepted at) are copied here from `cases`, so a ranking reads one
narrow table instead of hash-joining a million cases: every write of those columns on a case
refreshes the copy in the same transaction (`analytics.facts.refresh_case_keys`).
"""

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime


class CaseFacts(SQLModel, table=True):
    """The group keys and process figures of one case: a row for every case, from intake on."""

    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_created_at", "created_at"),)

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)  # the case's, the cohort's date
    # Copies of the case's columns, the keys the dimensions group by (analytics/grouping.py).
    lead_unit_code: str | None = Field(default=None, max_length=32)
    district_code: str | None = Field(default=None, max_length=32)
    street_code: str | None = Field(default=None, max_length=32)
    category_code: str | None = Field(default=None, max_length=32)
    channel: str = Field(sa_type=String(16))
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
    # The case's group keys, as on its `case_facts` row (kept equal to the case's).
    lead_unit_code: str | None = Field(default=None, max_length=32)
    district_code: str | None = Field(default=None, max_length=32)
    street_code: str | None = Field(default=None, max_length=32)
    category_code: str | None = Field(default=None, max_length=32)
    channel: str = Field(sa_type=String(16))
