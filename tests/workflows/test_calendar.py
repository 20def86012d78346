"""Behaviour of the working-day calendar on China's real 2025/2026 holiday schedule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio import workflow
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.calendar import (
    CalendarData,
    CalendarError,
    WorkingCalendar,
    load_calendar,
)

BEIJING = ZoneInfo("Asia/Shanghai")


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return load_calendar()


def write_csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind,name\n" + body, encoding="utf-8")
    return path


# -- working-day arithmetic ---------------------------------------------------------------


def test_weekend_is_skipped(cal: WorkingCalendar) -> None:
    # Friday 14 March 2025, 10:00 + 1 working day -> Monday 17 March, 10:00.
    assert cal.add_working_days(bj(2025, 3, 14, 10), 1) == bj(2025, 3, 17, 10)


def test_spring_festival_is_skipped(cal: WorkingCalendar) -> None:
    # Monday 27 Jan 2025 (eve of the Jan 28 - Feb 4 break) -> Wednesday 5 Feb.
    assert cal.add_working_days(bj(2025, 1, 27, 9), 1) == bj(2025, 2, 5, 9)


def test_make_up_saturday_counts_as_working_day(cal: WorkingCalendar) -> None:
    # Saturday 8 Feb 2025 is a 调休 working day, so Friday + 1 lands on it.
    assert cal.is_working_day(date(2025, 2, 8))
    assert cal.add_working_days(bj(2025, 2, 7, 15), 1) == bj(2025, 2, 8, 15)


def test_weekday_holiday_is_not_a_working_day(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 10, 1))  # Thursday, National Day


def test_start_on_holiday_counts_from_next_working_day_midnight(cal: WorkingCalendar) -> None:
    # Friday 3 Oct 2025 is inside the Oct 1-8 break; counting starts Thu 9 Oct 00:00.
    start = bj(2025, 10, 3, 14)
    assert cal.add_working_days(start, 0) == bj(2025, 10, 9)
    assert cal.add_working_days(start, 1) == bj(2025, 10, 10)


def test_start_on_saturday_gives_all_of_monday_plus_the_days(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(bj(2025, 3, 15, 10), 1) == bj(2025, 3, 18)


def test_start_is_read_in_beijing_time_not_utc(cal: WorkingCalendar) -> None:
    # 18:00 UTC on Friday 14 March is already Saturday 02:00 in Beijing.
    start = datetime(2025, 3, 14, 18, tzinfo=UTC)
    assert cal.add_working_days(start, 1) == bj(2025, 3, 18)


def test_deadline_is_returned_in_utc(cal: WorkingCalendar) -> None:
    due = cal.add_working_days(bj(2025, 3, 14, 10), 1)
    assert due.tzinfo is UTC
    assert due == datetime(2025, 3, 17, 2, tzinfo=UTC)


def test_naive_datetime_is_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(datetime(2025, 3, 14, 10), 1)


def test_negative_days_are_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_working_days(bj(2025, 3, 14, 10), -1)


def test_add_hours_ignores_weekends_and_returns_utc(cal: WorkingCalendar) -> None:
    due = cal.add_hours(bj(2025, 3, 14, 22), 24)
    assert due == bj(2025, 3, 15, 22)
    assert due.tzinfo is UTC


def test_add_hours_rejects_naive_datetime(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_hours(datetime(2025, 3, 14, 22), 2)


def test_working_days_between_inverts_add_working_days(cal: WorkingCalendar) -> None:
    start = bj(2025, 1, 27, 9)
    due = cal.add_working_days(start, 3)
    assert cal.working_days_between(start, due) == 3
    assert cal.working_days_between(start, due - timedelta(microseconds=1)) == 2


# -- serialisation ------------------------------------------------------------------------


def test_to_data_from_data_round_trip(cal: WorkingCalendar) -> None:
    assert WorkingCalendar.from_data(cal.to_data()) == cal


@dataclass
class DeadlineInput:
    calendar: CalendarData
    start: str  # ISO 8601; the sandboxed converter cannot rebuild datetime fields
    days: int


@workflow.defn(sandboxed=True)
class DeadlineWorkflow:
    @workflow.run
    async def run(self, params: DeadlineInput) -> str:
        cal = WorkingCalendar.from_data(params.calendar)
        return cal.add_working_days(datetime.fromisoformat(params.start), params.days).isoformat()


async def test_deadline_computes_inside_the_workflow_sandbox(
    cal: WorkingCalendar, time_skipping: WorkflowEnvironment
) -> None:
    # The sandbox proxies zoneinfo, and datetime rejects a proxied tzinfo.
    queue = f"calendar-{uuid.uuid4()}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[DeadlineWorkflow],
        workflow_failure_exception_types=[Exception],  # fail the test, don't retry forever
    ):
        due = await time_skipping.client.execute_workflow(
            DeadlineWorkflow.run,
            DeadlineInput(cal.to_data(), bj(2025, 1, 27, 9).isoformat(), 1),
            id=queue,
            task_queue=queue,
        )
    assert datetime.fromisoformat(due) == bj(2025, 2, 5, 9)


def test_calendar_data_survives_temporal_json_converter(cal: WorkingCalendar) -> None:
    converter = DataConverter.default.payload_converter
    payloads = converter.to_payloads([cal.to_data()])
    [decoded] = converter.from_payloads(payloads, [CalendarData])
    assert WorkingCalendar.from_data(decoded) == cal


# -- loader -------------------------------------------------------------------------------


def test_shipped_file_loads_with_both_years(cal: WorkingCalendar) -> None:
    assert date(2025, 1, 28) in cal.holidays
    assert date(2026, 2, 23) in cal.holidays
    assert date(2026, 2, 28) in cal.workdays
    assert cal.timezone == "Asia/Shanghai"


def test_loader_reports_bad_date_with_line_number(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "2025-01-01,holiday,元旦 New Year's Day\n2025-02-30,holiday,x\n")
    with pytest.raises(CalendarError, match=r"holidays\.csv:3: bad date '2025-02-30'"):
        load_calendar(path)


def test_loader_reports_unknown_kind_with_line_number(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "2025-01-01,day-off,元旦 New Year's Day\n")
    with pytest.raises(CalendarError, match=r"holidays\.csv:2: unknown kind 'day-off'"):
        load_calendar(path)


def test_loader_reports_duplicate_date_with_both_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "2025-01-01,holiday,a\n2025-01-02,holiday,b\n2025-01-01,holiday,c\n")
    with pytest.raises(CalendarError, match=r"holidays\.csv:4: duplicate date .* line 2"):
        load_calendar(path)


def test_loader_rejects_workday_on_a_weekday(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "2025-01-27,workday,typo\n")  # a Monday
    with pytest.raises(CalendarError, match=r"holidays\.csv:2: .*not a weekend day"):
        load_calendar(path)
