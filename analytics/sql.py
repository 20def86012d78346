"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, cast, extract, func
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement


def local_day(engine: Engine, column: Any, timezone: str) -> ColumnElement[Any]:
    """The local calendar day of a UTC timestamp column.

    SQLite has no time zones: it shifts by the zone's current UTC offset, exact for zones
    without daylight saving time such as Asia/Shanghai.
    """
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone(timezone, column))
    offset = datetime.now(ZoneInfo(timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.date(column, f"{minutes:+d} minutes")


def as_date(value: Any) -> date:
    """SQLite answers `date()` with text, PostgreSQL with a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def hours_between(engine: Engine, start: Any, end: Any) -> ColumnElement[Any]:
    if engine.dialect.name == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * cast(24.0, Float)


def table(model: type) -> Any:
    """A model's table for Core queries, typed loosely: SQLAlchemy's stubs do not know that
    SQLModel's class attributes are columns."""
    return model.__table__  # type: ignore[attr-defined]


def columns(model: type) -> Any:
    return table(model).c
