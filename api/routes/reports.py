"""Reports, rankings and spikes for the staff console and for download: staff only.

JSON for screens (`/api/v1/reports/monthly?date=2026-10-01`), files for people
(`/api/v1/reports/monthly/files/report.pdf`). Every route needs a staff bearer token:
dispatchers, supervisors and admins read the city's figures (or one unit's, `?unit=`), a unit
handler their own unit's and its sub-units' only; operators get 403. Built reports are kept
per (scope, kind, period) in the report cache (analytics.cache).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from analytics.cache import cached_files, cached_report
from analytics.dimensions import RANKED, Dimension
from analytics.metrics import GroupMetrics, Weights, ranking
from analytics.periods import Period, PeriodError, PeriodKind, resolve_period
from analytics.reports import Report
from analytics.scope import CITY, Scope, UnknownUnit, unit_scope
from analytics.spikes import AlertRecord, Spike, SpikeRules, detect_spikes, recorded_alerts
from api.auth import CurrentStaff
from api.deps import EngineDep, SettingsDep
from api.staff_actions import CODE
from auth.roles import NotPermitted, report_unit
from core.settings import Settings

DATE = Query(None, description="A day in the period; default: the last complete period.")
UNIT = Query(
    None,
    pattern=CODE,
    description="Only this unit's and its sub-units' cases; a unit handler: their own (default).",
)
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}
FILE_NAME = re.compile(r"^[a-z-]+\.(html|pdf|xlsx|csv)$")
ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid staff bearer token."},
    403: {"description": "The role reads no reports, or not this unit's."},
}


def report_scope(user: CurrentStaff, engine: EngineDep, unit: str | None = UNIT) -> Scope:
    """Whose figures this reader gets: 403 for roles without reports and for other units."""
    try:
        own = report_unit(user)
    except NotPermitted as exc:
        raise HTTPException(403, str(exc)) from exc
    try:
        allowed = CITY if own is None else unit_scope(engine=engine, unit_code=own)
        if unit is None or unit == own:
            return allowed
        if not allowed.holds(unit):
            raise HTTPException(
                403, f"you read the reports of unit {own} and the units under it, not of {unit}"
            )
        return unit_scope(engine=engine, unit_code=unit)
    except UnknownUnit as exc:
        raise HTTPException(404, str(exc)) from exc


ReportScope = Annotated[Scope, Depends(report_scope)]
router = APIRouter(
    prefix="/api/v1/reports",
    tags=["reports"],
    dependencies=[Depends(report_scope)],
    responses=ERRORS,
)


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _check_day(day: date) -> None:
    """Baselines reach weeks back: a day near year 1 would overflow; no case is that old."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise HTTPException(422, f"the date must be between {FIRST_DAY} and {LAST_DAY}")


@router.get("/spikes", response_model=list[Spike])
def read_spikes(
    engine: EngineDep,
    settings: SettingsDep,
    scope: ReportScope,
    day: Annotated[date, Query(alias="date")],
) -> list[Spike]:
    """未诉先办: the day's spikes by category and district (detected now, not alerted)."""
    _check_day(day)
    rules = SpikeRules.from_settings(settings)
    spikes = detect_spikes(engine=engine, day=day, rules=rules, timezone=settings.timezone)
    return [s for s in spikes if scope.holds(s.unit_code)]


@router.get("/alerts", response_model=list[AlertRecord])
def read_alerts(
    engine: EngineDep, scope: ReportScope, since: Annotated[date, Query()]
) -> list[AlertRecord]:
    """Spike alerts recorded for units since a day, newest first."""
    _check_day(since)
    return [
        AlertRecord.model_validate(a, from_attributes=True)
        for a in recorded_alerts(engine=engine, since=since)
        if scope.holds(a.unit_code)
    ]


@router.get("/{kind}", response_model=Report)
async def read_report(
    kind: PeriodKind,
    engine: EngineDep,
    settings: SettingsDep,
    scope: ReportScope,
    date: date | None = DATE,
) -> Report:
    """Every figure of a daily, weekly or monthly report."""
    period = _period(kind, date, settings)
    return await run_in_threadpool(
        lambda: cached_report(engine=engine, settings=settings, period=period, scope=scope)
    )


@router.get("/{kind}/rankings/{dimension}", response_model=list[GroupMetrics])
def read_ranking(
    kind: PeriodKind,
    dimension: Dimension,
    engine: EngineDep,
    settings: SettingsDep,
    scope: ReportScope,
    date: date | None = DATE,
) -> list[GroupMetrics]:
    """排名 of districts, streets or departments by composite score."""
    if dimension not in RANKED:
        names = ", ".join(d.value for d in RANKED)
        raise HTTPException(status_code=422, detail=f"rankings are by {names}")
    period = _period(kind, date, settings)
    weights = Weights.from_settings(settings)
    return ranking(engine=engine, period=period, dimension=dimension, weights=weights, scope=scope)


@router.get("/{kind}/files/{name}")
async def download(
    kind: PeriodKind,
    name: str,
    engine: EngineDep,
    settings: SettingsDep,
    scope: ReportScope,
    date: date | None = DATE,
) -> FileResponse:
    """report.html, report.pdf, report.xlsx or one table as <table>.csv."""
    if not FILE_NAME.match(name):
        raise HTTPException(
            status_code=404, detail="ask for report.html, report.pdf, report.xlsx or <table>.csv"
        )
    period = _period(kind, date, settings)
    directory = await run_in_threadpool(
        lambda: cached_files(engine=engine, settings=settings, period=period, scope=scope)
    )
    path = directory / name
    if not path.is_file():
        tables = sorted(p.stem for p in directory.glob("*.csv"))
        raise HTTPException(
            status_code=404, detail=f"no {name} in this report; tables: {', '.join(tables)}"
        )
    media_type = MEDIA_TYPES[path.suffix]
    whose = f"{scope.key}-" if scope.unit else ""
    download_name = f"hotline-{whose}{period.kind.value}-{period.label}-{name}"
    return FileResponse(path, media_type=media_type, filename=download_name)


def _period(kind: PeriodKind, day: date | None, settings: Settings) -> Period:
    try:
        return resolve_period(kind, day, settings.timezone)
    except PeriodError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
