"""`hotline calendar`: the working-day calendar deadlines run on, and where each year comes from.

`show` lists a year's holidays and 调休 make-up workdays (and prints it in the holiday file's
format with `--csv`, to check against the State Council notice and paste in); `due` prints the
resolve deadline the case worker would plan, loading the calendar the way the worker does.
Heavy imports stay inside the commands so `hotline --help` starts at once.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from workflows.calendar import CalendarSchedule, SpecialDay

app = typer.Typer(
    help="The working-day calendar: holidays, 调休 make-up workdays, deadlines.",
    no_args_is_help=True,
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _schedule() -> CalendarSchedule:
    """The worker's calendar (`load_worker_calendar`); a broken holiday file exits 2."""
    from core.settings import get_settings
    from workflows.calendar import CalendarError
    from workflows.worker import load_worker_calendar

    try:
        return load_worker_calendar(get_settings())
    except CalendarError as exc:
        typer.echo(f"cannot load the calendar: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def show(
    year: int = typer.Argument(..., min=1, max=9998, help="The year, e.g. 2027."),
    as_csv: bool = typer.Option(
        False, "--csv", help="Print the days as rows of the holiday file (date,kind,name)."
    ),
) -> None:
    """List YEAR's holidays and 调休 make-up workdays, and where the year comes from."""
    schedule = _schedule()
    days = schedule.days_in(year)
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        typer.echo(f"# {schedule.describe(year)}")  # a comment the holiday file accepts
        writer.writerow(["date", "kind", "name"])
        writer.writerows([d.day.isoformat(), d.kind, d.name] for d in days)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(schedule.describe(year), markup=False, highlight=False)
    if not days:
        console.print(f"no holidays or make-up workdays listed for {year}")
        return
    holidays, workdays = _count(days, "holiday"), _count(days, "workday")
    table = Table(title=f"{year}: {holidays} days off, {workdays} make-up workdays")
    for column in ("date", "day", "kind", "name"):
        table.add_column(column)
    for d in days:
        table.add_row(d.day.isoformat(), WEEKDAYS[d.day.weekday()], d.kind, d.name)
    console.print(table)


def _count(days: list[SpecialDay], kind: str) -> int:
    return sum(1 for d in days if d.kind == kind)


@app.command()
def due(
    start: str = typer.Argument(
        ...,
        help="When the case was accepted, YYYY-MM-DDTHH:MM, in HOTLINE_TIMEZONE unless it "
        "carries an offset (…+08:00, …Z).",
    ),
    working_days: int | None = typer.Option(
        None,
        "--working-days",
        min=0,
        help="Working days to add (default: HOTLINE_RESOLVE_WORKING_DAYS_NORMAL).",
    ),
) -> None:
    """The resolve deadline the case worker plans for a case accepted at START."""
    from core.settings import get_settings

    settings = get_settings()
    schedule = _schedule()
    calendar = schedule.calendar()
    days = settings.resolve_working_days_normal if working_days is None else working_days
    accepted = _parse_start(start, calendar.tz).astimezone(calendar.tz)
    try:
        deadline = calendar.add_working_days(accepted, days)  # as `plan_deadlines` does
    except OverflowError as exc:
        raise typer.BadParameter("the deadline falls after 9999", param_hint="START") from exc
    local = deadline.astimezone(calendar.tz)
    typer.echo(f"due {_local(local)} {calendar.timezone} ({deadline.isoformat()})")
    typer.echo(f"{days} working days from {_local(accepted)} {calendar.timezone}")
    for d in schedule.days:
        if d.kind == "holiday" and accepted.date() <= d.day <= local.date():
            typer.echo(f"  day off {d.day.isoformat()} {WEEKDAYS[d.day.weekday()]}  {d.name}")
    for year in sorted({accepted.year, local.year}):
        typer.echo(f"calendar {schedule.describe(year)}")


def _parse_start(raw: str, zone: ZoneInfo) -> datetime:
    """START as an aware datetime; a bare local time is read in the calendar's zone."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(
            f"{raw!r} is not a date and time; expected YYYY-MM-DDTHH:MM, e.g. 2027-02-04T10:00",
            param_hint="START",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def _local(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} {WEEKDAYS[moment.weekday()]}"
