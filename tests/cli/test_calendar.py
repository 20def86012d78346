"""`hotline calendar`: what it prints is what the worker plans, for years in the file or not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.calendar import app
from core.settings import get_settings
from tests.utils.processes import ROOT
from workflows.calendar import load_schedule

runner = CliRunner()


@pytest.fixture
def holidays_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A holiday file of the test's own, read through HOTLINE_HOLIDAYS_FILE as in production."""
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind,name\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_HOLIDAYS_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_due_2027_falls_after_the_spring_festival_holiday() -> None:
    # A real `hotline` process on the shipped file, which stops at 2026.
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", "calendar", "due", "2027-02-04T10:00"]
        + ["--working-days", "7"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    first = result.stdout.splitlines()[0]
    assert first == "due 2027-02-19 10:00 Fri Asia/Shanghai (2027-02-19T02:00:00+00:00)"
    spring = [d.day for d in load_schedule().days_in(2027) if "春节" in d.name]
    assert max(spring) < date(2027, 2, 19)
    assert "day off 2027-02-10 Wed" in result.stdout
    assert "2027: from the holidays package" in result.stdout


def test_show_lists_a_year_only_the_holidays_package_knows() -> None:
    result = runner.invoke(app, ["show", "2030"])
    assert result.exit_code == 0, result.output
    assert "2030: from the holidays package" in result.output
    assert "2030-02-04" in result.output and "春节" in result.output


def test_show_csv_prints_rows_the_holiday_file_accepts(holidays_file: Path) -> None:
    result = runner.invoke(app, ["show", "2024", "--csv"])
    assert result.exit_code == 0, result.output
    holidays_file.write_text(result.output, encoding="utf-8")
    schedule = load_schedule(holidays_file)
    assert schedule.csv_years == {2024}
    assert date(2024, 2, 4) in schedule.calendar().workdays  # 2024's Spring Festival 调休


def test_show_a_year_from_the_file_names_the_file(holidays_file: Path) -> None:
    holidays_file.write_text("date,kind,name\n2031-01-01,holiday,元旦\n", encoding="utf-8")
    result = runner.invoke(app, ["show", "2031"])
    assert result.exit_code == 0, result.output
    assert f"2031: from {holidays_file}" in result.output.replace("\n", "")


def test_due_reads_a_bare_time_in_the_hotline_time_zone() -> None:
    result = runner.invoke(app, ["due", "2025-03-14T10:00", "--working-days", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("due 2025-03-17 10:00 Mon Asia/Shanghai")


def test_due_keeps_an_explicit_offset() -> None:
    # 18:00 UTC on Friday is Saturday 02:00 in Beijing: counting starts Monday 00:00.
    result = runner.invoke(app, ["due", "2025-03-14T18:00Z", "--working-days", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("due 2025-03-18 00:00 Tue Asia/Shanghai")


def test_due_rejects_a_date_that_does_not_exist() -> None:
    result = runner.invoke(app, ["due", "2027-02-30T10:00", "--working-days", "7"])
    assert result.exit_code == 2
    assert "'2027-02-30T10:00' is not a date and time" in result.output


def test_due_rejects_negative_working_days() -> None:
    result = runner.invoke(app, ["due", "2027-02-04T10:00", "--working-days", "-1"])
    assert result.exit_code == 2
    assert "--working-days" in result.output


def test_broken_holiday_file_is_named_with_its_line(holidays_file: Path) -> None:
    holidays_file.write_text("date,kind,name\n2027-13-01,holiday,x\n", encoding="utf-8")
    result = runner.invoke(app, ["show", "2027"])
    assert result.exit_code == 2
    assert f"{holidays_file}:2: bad date '2027-13-01'" in result.output
