"""Behaviour of the working-day calendar on China's real holiday schedule: the shipped file
for 2025/2026, the holidays package for the years the file lacks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio import workflow
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.calendar import (
    PACKAGE_YEARS,
    CalendarData,
    CalendarError,
    WorkingCalendar,
    YearSource,
    load_calendar,
    load_schedule,
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


# -- years the file lacks -----------------------------------------------------------------


def test_year_only_the_holidays_package_knows_has_its_spring_festival(
    cal: WorkingCalendar,
) -> None:
    schedule = load_schedule()
    assert schedule.source(2030) is YearSource.package
    # 2030's Spring Festival: eve Sat 2 Feb, days 3-5 Feb, in lieu of the weekend Wed 6, Thu 7.
    for day in range(4, 8):
        assert not cal.is_working_day(date(2030, 2, day))
    assert cal.add_working_days(bj(2030, 2, 1, 10), 1) == bj(2030, 2, 8, 10)


def test_2027_spring_festival_is_not_worked_although_the_file_stops_at_2026(
    cal: WorkingCalendar,
) -> None:
    # A case opened Thu 4 Feb 2027 with 7 working days fell due inside the holiday when
    # the calendar fell back to Monday-Friday; the last day off is Wed 10 Feb (in lieu).
    due = cal.add_working_days(bj(2027, 2, 4, 10), 7)
    assert due == bj(2027, 2, 19, 10)


def test_shipped_file_agrees_with_the_holidays_package_on_every_day(tmp_path: Path) -> None:
    # Two independent transcriptions of the 2025 and 2026 notices: a typo in either shows.
    shipped = load_schedule(package_years=range(0))
    empty = write_csv(tmp_path, "")
    package = load_calendar(empty, package_years=range(2025, 2027))
    ours = shipped.calendar()
    day = date(2025, 1, 1)
    while day.year < 2027:
        assert ours.is_working_day(day) == package.is_working_day(day), day
        day += timedelta(days=1)


def test_a_year_in_the_file_is_taken_from_the_file_alone(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "2030-02-02,workday,test: a worked Saturday\n")
    schedule = load_schedule(path)
    assert schedule.source(2030) is YearSource.csv
    assert [d.name for d in schedule.days_in(2030)] == ["test: a worked Saturday"]
    assert schedule.calendar().is_working_day(date(2030, 2, 4))  # the package's day off


def test_without_the_package_a_missing_year_is_monday_to_friday(tmp_path: Path) -> None:
    schedule = load_schedule(write_csv(tmp_path, ""), package_years=range(0))
    assert schedule.source(2030) is YearSource.none
    assert schedule.calendar().is_working_day(date(2030, 2, 4))
    assert "Monday to Friday" in schedule.describe(2030)


def test_years_without_make_up_workdays_are_reported_as_estimates() -> None:
    schedule = load_schedule()
    assert 2024 in schedule.package_years and 2024 not in schedule.estimated_years
    assert 2027 in schedule.estimated_years
    assert "estimate" in schedule.describe(2027)
    assert "estimate" not in schedule.describe(2024)


def test_coverage_names_every_source_once() -> None:
    coverage = load_schedule().coverage()
    assert "2025 to 2026 from " in coverage and "holidays_cn.csv" in coverage
    assert f"2001 to 2024 from the holidays package {version('holidays')}" in coverage
    assert f"2027 to {PACKAGE_YEARS[-1]} estimated by the holidays package" in coverage
    assert coverage.endswith("other years: Monday to Friday")


def test_package_calendar_is_the_same_on_every_load() -> None:
    # Workers started at different times must plan the same deadlines.
    assert load_calendar() == load_calendar()


def test_loader_skips_comment_lines_and_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "holidays.csv"
    path.write_text(
        "# 2031: the State Council's notice, 2030-11-01\ndate,kind,name\n"
        "# a comment, with a comma\n2031-01-01,holiday,元旦\n2031-13-01,holiday,x\n",
        encoding="utf-8",
    )
    with pytest.raises(CalendarError, match=r"holidays\.csv:5: bad date '2031-13-01'"):
        load_calendar(path)
    path.write_text(path.read_text(encoding="utf-8").rsplit("2031-13", 1)[0], encoding="utf-8")
    assert load_schedule(path).csv_years == {2031}
