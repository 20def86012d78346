"""Report periods (day, ISO week, calendar month) in the city's time zone, as UTC bounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.clock import utcnow


class PeriodKind(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


@dataclass(frozen=True)
class Period:
    """Local days [first, last], both included; `start`/`end` are the UTC half-open bounds."""

    kind: PeriodKind
    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        return _utc_midnight(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        return _utc_midnight(self.last + timedelta(days=1), self.timezone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.daily:
            return self.first.isoformat()
        if self.kind is PeriodKind.weekly:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first.strftime("%Y-%m")

    def previous(self) -> Period:
        return period_for(self.kind, self.first - timedelta(days=1), self.timezone)


def period_for(kind: PeriodKind, day: date, timezone: str) -> Period:
    """The day, the Monday-to-Sunday week or the calendar month that contains `day`."""
    if kind is PeriodKind.daily:
        return Period(kind, day, day, timezone)
    if kind is PeriodKind.weekly:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6), timezone)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(kind, first, following - timedelta(days=1), timezone)


def last_complete(kind: PeriodKind, today: date, timezone: str) -> Period:
    """The default report: yesterday, last week or last month, so the figures are final."""
    if kind is PeriodKind.daily:
        return period_for(kind, today - timedelta(days=1), timezone)
    return period_for(kind, today, timezone).previous()


class PeriodError(ValueError):
    """A report asked for a period that has not started yet."""


def resolve_period(kind: PeriodKind, day: date | None, timezone: str) -> Period:
    """The period containing `day`; without one, the last complete period (final figures)."""
    today = local_today(utcnow(), timezone)
    if day is None:
        return last_complete(kind, today, timezone)
    period = period_for(kind, day, timezone)
    if period.first > today:
        raise PeriodError(f"{kind.value} report for {period.label}: that period has not begun")
    return period


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def _utc_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
