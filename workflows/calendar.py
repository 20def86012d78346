"""Working-day calendar that every case deadline is computed on.

Deadlines in a 12345-style hotline are set in *working days* (工作日), and
China's statutory calendar is not "Monday to Friday": the State Council moves
weekends around holidays every year (调休), so a Saturday can be a working day
and a Wednesday can be a day off. That pattern is data, not code, and lives in
``holidays_cn.csv`` beside this module.

Edit me: each November the State Council General Office publishes the next
year's 《国务院办公厅关于××年部分节假日安排的通知》. Append its days to
``holidays_cn.csv`` (``date,kind,name``; kind is ``holiday`` for a day off or
``workday`` for a weekend day that is worked; a line starting with ``#`` is a
comment: name the notice there). The file is the source of truth
for every year it has a row in; ``hotline calendar show YEAR --csv`` prints a
year in the file's format to start from.

Years the file lacks come from the ``holidays`` package's China calendar, so
the calendar never silently runs out: for years whose notice the package has,
that includes the 调休 make-up workdays; for later years it is an estimate
(statutory days and the in-lieu days the law grants when one falls on a
weekend, no make-up workdays) until the notice is added to the file. Only
years neither knows fall back to plain Monday-to-Friday. The worker logs which
years come from where (:meth:`CalendarSchedule.coverage`).

Everything here except :func:`load_schedule` (and :func:`load_calendar`) is pure
and deterministic so it can run inside the Temporal workflow sandbox: no I/O at
import, no wall clock, no third-party imports (``holidays`` is imported inside the
loader). The package years are a fixed range, never "the next N years from
today", so two workers with the same file and package version build the same
calendar whenever they start. Load the calendar in the worker or an activity, pass it to
workflows as :class:`CalendarData` (the JSON converter cannot encode frozensets)
and rebuild it with :meth:`WorkingCalendar.from_data`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TIMEZONE",
    "PACKAGE_YEARS",
    "CalendarData",
    "CalendarError",
    "CalendarSchedule",
    "SpecialDay",
    "WorkingCalendar",
    "YearSource",
    "load_calendar",
    "load_schedule",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
_DEFAULT_CSV = "holidays_cn.csv"
_KINDS = ("holiday", "workday")
_HEADER = ["date", "kind", "name"]
# Years the holidays package is asked for when the file lacks them: its China calendar is
# checked against the State Council notices from 2001 and its lunar tables end in 2099. A
# fixed range (not "from today") keeps every worker's calendar the same whenever it starts.
PACKAGE_YEARS = range(2001, 2100)


@cache
def _zone(key: str) -> ZoneInfo:
    """Resolve a zone once per key, in a form the Temporal workflow sandbox accepts.

    Inside the sandbox ``ZoneInfo(key)`` returns a restricted proxy of the
    instance, which C ``datetime`` rejects as a tzinfo ("tzinfo argument must
    be None or of a tzinfo subclass"). The ``no_cache`` constructor's result is
    not proxied, and caching here restores the identity the class cache gives.
    """
    try:
        return ZoneInfo.no_cache(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {key!r}") from exc


class CalendarError(ValueError):
    """Raised for a malformed holiday file, so an operator's typo fails loudly at startup."""


@dataclass
class CalendarData:
    """JSON-friendly twin of :class:`WorkingCalendar` for Temporal payloads and config."""

    holidays: list[str] = field(default_factory=list)
    workdays: list[str] = field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime would silently be read in the host's local zone, which
    # differs between a developer laptop and a UTC container.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True)
class WorkingCalendar:
    """Which calendar days are working days, and deadline arithmetic over them.

    Frozen so a workflow can hold one without fear of it changing under replay.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        # Accept any iterable of dates for convenience but store frozensets so
        # the instance stays hashable and immutable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        both = self.holidays & self.workdays
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"dates cannot be both holiday and workday: {days}")
        _zone(self.timezone)  # fail at construction, not at the first deadline

    # -- serialisation -----------------------------------------------------------------

    def to_data(self) -> CalendarData:
        """Sorted so equal calendars serialise identically (stable workflow history)."""
        return CalendarData(
            holidays=[d.isoformat() for d in sorted(self.holidays)],
            workdays=[d.isoformat() for d in sorted(self.workdays)],
            timezone=self.timezone,
        )

    @classmethod
    def from_data(cls, data: CalendarData) -> WorkingCalendar:
        """Inverse of :meth:`to_data`; the way a workflow gets its calendar from its input."""
        return cls(
            holidays=frozenset(date.fromisoformat(d) for d in data.holidays),
            workdays=frozenset(date.fromisoformat(d) for d in data.workdays),
            timezone=data.timezone,
        )

    def with_overrides(
        self, holidays: frozenset[date], workdays: frozenset[date]
    ) -> WorkingCalendar:
        """This calendar with an admin's extra days off and days worked winning over it
        (``models/calendar_override.py``); pure, so the caller decides where they come from."""
        if not holidays and not workdays:
            return self
        return WorkingCalendar(
            holidays=(self.holidays - workdays) | holidays,
            workdays=(self.workdays - holidays) | workdays,
            timezone=self.timezone,
        )

    # -- day classification ------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        """Resolved on use rather than stored, so the dataclass stays plain data."""
        return _zone(self.timezone)

    def is_working_day(self, day: date) -> bool:
        """调休 workdays beat weekends and holidays beat weekdays; the data is authoritative."""
        if isinstance(day, datetime):
            # datetime subclasses date but never equals one, so the set lookups
            # would silently miss; and which local day it is depends on the zone.
            raise TypeError("pass a date; for a datetime use .astimezone(calendar.tz).date()")
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``; terminates because holidays are finite."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    # -- deadline arithmetic -----------------------------------------------------------

    def _anchor(self, start: datetime) -> datetime:
        """Local start of the working-day count (see :meth:`add_working_days` for the rule)."""
        local = start.astimezone(self.tz)
        if self.is_working_day(local.date()):
            return local
        first = self.next_working_day(local.date())
        return datetime.combine(first, time.min, tzinfo=self.tz)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Deadline ``days`` working days after ``start``, returned in UTC.

        The rule, in the calendar's local zone:

        * Started on a working day: the deadline is the same local clock time
          on the ``days``-th following working day (Mon 10:00 + 1 = Tue 10:00;
          Fri 10:00 + 1 = Mon 10:00).
        * Started on a non-working day (weekend or holiday): the case is taken
          to start at 00:00 on the next working day, and the count runs from
          there (Sat 10:00 + 1 = Tue 00:00, i.e. the citizen gets all of Monday
          plus a full working day; + 0 = Mon 00:00).

        So a department always gets ``days`` whole working days, never a
        working day eaten by a weekend. ``days == 0`` is the normalised start.
        """
        _require_aware(start, "start")
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, got {type(days).__name__}")
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        anchor = self._anchor(start)
        day = anchor.date()
        for _ in range(days):
            day = self.next_working_day(day)
        # combine() re-derives the offset for the target day, so a zone with
        # DST keeps the local clock time rather than the elapsed hours.
        return self._at(day, anchor.time()).astimezone(UTC)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """Plain elapsed hours, returned in UTC.

        Acknowledge and first-contact deadlines run on the 24/7 call centre's
        clock, not on working days; this lives here only so one module owns all
        deadline arithmetic and every deadline is normalised the same way.
        """
        _require_aware(start, "start")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number >= 0, got {hours}")
        return start.astimezone(UTC) + timedelta(hours=hours)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days elapsed from ``start`` to ``end``, for reports.

        Defined as the largest ``n`` with ``add_working_days(start, n) <= end``,
        so it is the exact inverse of the deadline rule: a case closed at its
        deadline took exactly the granted number of working days, and partial
        days do not count.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        anchor = self._anchor(start)
        clock = anchor.time()
        count = 0
        day = self.next_working_day(anchor.date())
        while self._at(day, clock) <= end:
            count += 1
            day = self.next_working_day(day)
        return count


class YearSource(StrEnum):
    """Where a year of the calendar comes from, in the order they are tried."""

    csv = "csv"
    package = "holidays package"
    none = "none"


@dataclass(frozen=True)
class SpecialDay:
    """One day that breaks the Monday-to-Friday rule: a day off, or a weekend day worked."""

    day: date
    kind: str  # "holiday" or "workday", as in the file
    name: str


@dataclass(frozen=True)
class CalendarSchedule:
    """The calendar's days together with where each year came from, for logs and the CLI.

    ``package_years`` are the years the holidays package supplied; those of them in
    ``estimated_years`` have no 调休 make-up workdays (the package lacks that year's notice).
    """

    days: tuple[SpecialDay, ...]
    csv_path: Path
    csv_years: frozenset[int]
    package_years: frozenset[int]
    estimated_years: frozenset[int]
    package_version: str
    timezone: str = DEFAULT_TIMEZONE

    def source(self, year: int) -> YearSource:
        if year in self.csv_years:
            return YearSource.csv
        if year in self.package_years:
            return YearSource.package
        return YearSource.none

    def describe(self, year: int) -> str:
        """One line saying where ``year`` comes from and how far to trust it."""
        source = self.source(year)
        if source is YearSource.csv:
            return f"{year}: from {self.csv_path}"
        if source is YearSource.none:
            return f"{year}: in neither {self.csv_path} nor the holidays package: Monday to Friday"
        where = f"{year}: from the holidays package {self.package_version}"
        if year in self.estimated_years:
            return (
                f"{where}, an estimate (statutory and in-lieu days, no 调休 make-up workdays: "
                f"the State Council notice is not in it); add the notice to {self.csv_path}"
            )
        return f"{where} (State Council notice with 调休 make-up workdays)"

    def days_in(self, year: int) -> list[SpecialDay]:
        return [d for d in self.days if d.day.year == year]

    def coverage(self) -> str:
        """Which years come from where, in one line for the worker's start-up log."""
        official = self.package_years - self.estimated_years
        parts = [f"{_spans(self.csv_years) or 'no years'} from {self.csv_path}"]
        if official:
            parts.append(
                f"{_spans(official)} from the holidays package {self.package_version} "
                "(State Council notices)"
            )
        if self.estimated_years:
            parts.append(
                f"{_spans(self.estimated_years)} estimated by the holidays package "
                "(no 调休 make-up workdays yet)"
            )
        parts.append("other years: Monday to Friday")
        return "; ".join(parts)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            holidays=frozenset(d.day for d in self.days if d.kind == "holiday"),
            workdays=frozenset(d.day for d in self.days if d.kind == "workday"),
            timezone=self.timezone,
        )


def _spans(years: frozenset[int] | set[int]) -> str:
    """``{2001, ..., 2024, 2027}`` as ``2001 to 2024, 2027``: readable in one log line.

    Not "2001–2024": logs mask phone numbers, and two years joined by a dash are eight digits
    libphonenumber takes for a Beijing landline."""
    spans: list[tuple[int, int]] = []
    for year in sorted(years):
        if spans and spans[-1][1] == year - 1:
            spans[-1] = (spans[-1][0], year)
        else:
            spans.append((year, year))
    return ", ".join(str(a) if a == b else f"{a} to {b}" for a, b in spans)


def _default_path() -> Path:
    return Path(__file__).with_name(_DEFAULT_CSV)


def load_calendar(
    path: Path | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    package_years: range = PACKAGE_YEARS,
) -> WorkingCalendar:
    """The working-day calendar of :func:`load_schedule`, without the bookkeeping."""
    return load_schedule(path, timezone=timezone, package_years=package_years).calendar()


def load_schedule(
    path: Path | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    package_years: range = PACKAGE_YEARS,
) -> CalendarSchedule:
    """The holiday file, completed with the holidays package for the years it lacks.

    Call it in the worker or an activity, never inside a workflow. A year with any row in
    the file is taken from the file alone (the package may differ from the notice, and the
    file is what an operator corrects); ``package_years=range(0)`` leaves the package out.
    """
    _zone(timezone)  # an unknown zone fails here, at start-up
    source = path if path is not None else _default_path()
    from_file = _read_csv(source)
    csv_years = frozenset(d.day.year for d in from_file)
    wanted = [year for year in package_years if year not in csv_years]
    from_package, estimated = _package_days(wanted)
    days = sorted([*from_file, *from_package], key=lambda d: d.day)
    return CalendarSchedule(
        days=tuple(days),
        csv_path=source,
        csv_years=csv_years,
        package_years=frozenset(d.day.year for d in from_package),
        estimated_years=frozenset(estimated),
        package_version=version("holidays"),
        timezone=timezone,
    )


def _package_days(years: list[int]) -> tuple[list[SpecialDay], set[int]]:
    """China's holidays and 调休 workdays from the holidays package, named in zh and en.

    Also returns the years it has no make-up workday in: it only knows those from the State
    Council notices, so such a year is its estimate from the statutory rules.
    """
    if not years:
        return [], set()
    import holidays  # here, not at the top: this module must stay sandbox-safe

    zh = holidays.country_holidays("CN", years=years, language="zh_CN")
    en = holidays.country_holidays("CN", years=years, language="en_US")
    days = [SpecialDay(day, "holiday", f"{name} {en[day]}") for day, name in zh.items()]
    worked = {day for day in zh.weekend_workdays if day.year in years and day not in zh}
    days += [SpecialDay(day, "workday", "调休上班 make-up workday") for day in worked]
    with_workdays = {day.year for day in worked}
    estimated = {day.year for day in zh} - with_workdays
    return days, estimated


def _skipped(row: list[str]) -> bool:
    return not row or row[0].lstrip().startswith("#") or all(not cell.strip() for cell in row)


def _read_csv(source: Path) -> list[SpecialDay]:
    """Read and validate the holiday CSV.

    Every problem is reported as ``<file>:<line>: <what>`` so whoever edits the file can
    find it.
    """
    days: list[SpecialDay] = []
    seen: dict[date, int] = {}

    def fail(line: int, message: str) -> CalendarError:
        return CalendarError(f"{source}:{line}: {message}")

    try:
        # utf-8-sig: the file is meant to be edited by hand, often in Excel,
        # which prepends a BOM that would otherwise corrupt the first header.
        with source.open(encoding="utf-8-sig", newline="") as handle:
            # Blank lines and lines starting with '#' (where each year's notice came from)
            # are skipped, before the header too.
            reader = csv.reader(handle)
            rows = (row for row in reader if not _skipped(row))
            header = next(rows, None)
            if header is None:
                raise fail(1, "file is empty; expected header 'date,kind,name'")
            if [cell.strip() for cell in header] != _HEADER:
                raise fail(reader.line_num, f"expected header 'date,kind,name', got {header!r}")
            for row in rows:
                line = reader.line_num
                if len(row) != len(_HEADER):
                    raise fail(line, f"expected 3 columns (date,kind,name), got {len(row)}")
                raw_date, kind, name = (cell.strip() for cell in row)
                try:
                    day = date.fromisoformat(raw_date)
                except ValueError:
                    raise fail(line, f"bad date {raw_date!r}; expected YYYY-MM-DD") from None
                if kind not in _KINDS:
                    raise fail(line, f"unknown kind {kind!r}; expected 'holiday' or 'workday'")
                if not name:
                    raise fail(line, "name is empty")
                if day in seen:
                    first = seen[day]
                    raise fail(line, f"duplicate date {day.isoformat()} (first on line {first})")
                seen[day] = line
                if kind == "workday" and day.weekday() < 5:
                    # Almost certainly a typo: a weekday is already worked.
                    raise fail(line, f"workday {day.isoformat()} is not a weekend day")
                days.append(SpecialDay(day, kind, name))
    except UnicodeDecodeError as exc:
        raise CalendarError(f"{source}: not valid UTF-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise CalendarError(f"{source}: malformed CSV ({exc})") from exc
    return days
