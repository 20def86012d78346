"""Public case numbers: `YYYYMMDD-NNNNNN`, the local date then a per-day sequence.

The counter is bumped with one upsert inside the intake transaction, so concurrent intakes get
distinct numbers and a rolled-back intake gives its number back. Numbers sort by date; past
999,999 cases in a day the sequence simply grows a digit.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.case import CaseNumberCounter


def local_day(moment: datetime, *, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def allocate_case_number(*, session: Session, day: date) -> str:
    statement = _bump_statement(session.get_bind().dialect.name)
    sequence = session.connection().execute(statement, {"day": day}).scalar_one()
    return format_case_number(day, sequence)


@cache
def _bump_statement(dialect: str) -> Insert:
    """Built once per dialect: building it (and its cache key) on every intake cost more CPU
    than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CaseNumberCounter.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )


def format_case_number(day: date, sequence: int) -> str:
    return f"{day:%Y%m%d}-{sequence:06d}"
