"""Days an admin adds to the working-day calendar: extra days off, or extra days worked.

The holiday file and the `holidays` package give the statutory calendar (workflows/calendar.py);
a city sometimes closes for a day (a storm, a city-wide event) or works a day the State
Council notice did not foresee. Those days live here, edited in the console, and win over the
file and the package. The deadline activity reads them each time it plans deadlines, so a
change applies to every deadline computed after it; deadlines already planned stay as they
were (they are in the case workflows' histories).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow
from models.types import UTCDateTime

OVERRIDE_KINDS = ("holiday", "workday")


class CalendarOverride(SQLModel, table=True):
    __tablename__ = "calendar_overrides"
    day: date = Field(primary_key=True, sa_type=Date)
    kind: str = Field(sa_type=String(8))  # "holiday": a day off; "workday": a day worked
    name: str = Field(max_length=120)
    updated_by: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def list_overrides(*, session: Session) -> list[CalendarOverride]:
    return list(session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day))).all())


def override_days(*, session: Session) -> tuple[frozenset[date], frozenset[date]]:
    """The admin's extra days off and extra days worked, for `WorkingCalendar.with_overrides`."""
    rows = list_overrides(session=session)
    return (
        frozenset(r.day for r in rows if r.kind == "holiday"),
        frozenset(r.day for r in rows if r.kind == "workday"),
    )
