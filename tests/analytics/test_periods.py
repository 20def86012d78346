"""Report periods are local days, Monday-to-Sunday weeks and calendar months in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analytics.periods import PeriodError, PeriodKind, last_complete, period_for, resolve_period

TZ = "Asia/Shanghai"


def test_a_beijing_day_starts_at_16_utc_the_day_before() -> None:
    day = period_for(PeriodKind.daily, date(2026, 11, 1), TZ)
    assert (day.start, day.end) == (
        datetime(2026, 10, 31, 16, tzinfo=UTC),
        datetime(2026, 11, 1, 16, tzinfo=UTC),
    )
    assert day.label == "2026-11-01"


def test_weeks_run_monday_to_sunday_and_months_are_calendar_months() -> None:
    week = period_for(PeriodKind.weekly, date(2026, 11, 25), TZ)
    assert (week.first, week.last, week.label) == (
        date(2026, 11, 23),
        date(2026, 11, 29),
        "2026-W48",
    )
    month = period_for(PeriodKind.monthly, date(2026, 2, 14), TZ)
    assert (month.first, month.last, month.label) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        "2026-02",
    )
    assert month.previous().label == "2026-01" and len(month.days) == 28


def test_the_default_report_is_the_last_complete_period() -> None:
    today = date(2026, 11, 25)
    assert last_complete(PeriodKind.daily, today, TZ).label == "2026-11-24"
    assert last_complete(PeriodKind.weekly, today, TZ).label == "2026-W47"
    assert last_complete(PeriodKind.monthly, date(2026, 1, 3), TZ).label == "2025-12"


def test_a_period_that_has_not_begun_is_refused() -> None:
    with pytest.raises(PeriodError, match="monthly report for 2999-01: that period has not begun"):
        resolve_period(PeriodKind.monthly, date(2999, 1, 5), TZ)
