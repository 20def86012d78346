"""Reports, rankings and spikes for the staff console and for download.

JSON for screens (`/api/v1/reports/monthly?date=2026-10-01`), files for people
(`/api/v1/reports/monthly/files/report.pdf`). Files of a finished period are made once and
kept under HOTLINE_REPORTS_DIR; a period still running is made afresh on every request.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import FileResponse
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from analytics.metrics import RANKED, Dimension, GroupMetrics, Weights, ranking
from analytics.periods import Period, PeriodError, PeriodKind, resolve_period
from analytics.render import write_report
from analytics.reports import Report, build_report
from analytics.service import report_directory, reports_root
from analytics.spikes import AlertRecord, Spike, SpikeRules, detect_spikes, recorded_alerts
from api.deps import EngineDep, SettingsDep
from core.settings import Settings

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

DATE = Query(None, description="A day in the period; default: the last complete period.")
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}
FILE_NAME = re.compile(r"^[a-z-]+\.(html|pdf|xlsx|csv)$")


@router.get("/spikes", response_model=list[Spike])
def read_spikes(
    engine: EngineDep, settings: SettingsDep, day: Annotated[date, Query(alias="date")]
) -> list[Spike]:
    """未诉先办: the day's spikes by category and district (detected now, not alerted)."""
    rules = SpikeRules.from_settings(settings)
    return detect_spikes(engine=engine, day=day, rules=rules, timezone=settings.timezone)


@router.get("/alerts", response_model=list[AlertRecord])
def read_alerts(engine: EngineDep, since: Annotated[date, Query()]) -> list[AlertRecord]:
    """Spike alerts recorded for units since a day, newest first."""
    return [
        AlertRecord.model_validate(a, from_attributes=True)
        for a in recorded_alerts(engine=engine, since=since)
    ]


@router.get("/{kind}", response_model=Report)
async def read_report(
    kind: PeriodKind, engine: EngineDep, settings: SettingsDep, date: date | None = DATE
) -> Report:
    """Every figure of a daily, weekly or monthly report."""
    period = _period(kind, date, settings)
    return await run_in_threadpool(
        lambda: build_report(engine=engine, settings=settings, period=period)
    )


@router.get("/{kind}/rankings/{dimension}", response_model=list[GroupMetrics])
def read_ranking(
    kind: PeriodKind,
    dimension: Dimension,
    engine: EngineDep,
    settings: SettingsDep,
    date: date | None = DATE,
) -> list[GroupMetrics]:
    """排名 of districts, streets or departments by composite score."""
    if dimension not in RANKED:
        names = ", ".join(d.value for d in RANKED)
        raise HTTPException(status_code=422, detail=f"rankings are by {names}")
    period = _period(kind, date, settings)
    weights = Weights.from_settings(settings)
    return ranking(engine=engine, period=period, dimension=dimension, weights=weights)


@router.get("/{kind}/files/{name}")
async def download(
    kind: PeriodKind, name: str, engine: EngineDep, settings: SettingsDep, date: date | None = DATE
) -> FileResponse:
    """report.html, report.pdf, report.xlsx or one table as <table>.csv."""
    if not FILE_NAME.match(name):
        raise HTTPException(
            status_code=404, detail="ask for report.html, report.pdf, report.xlsx or <table>.csv"
        )
    period = _period(kind, date, settings)
    directory = await run_in_threadpool(_files, engine, settings, period)
    path = directory / name
    if not path.is_file():
        tables = sorted(p.stem for p in directory.glob("*.csv"))
        raise HTTPException(
            status_code=404, detail=f"no {name} in this report; tables: {', '.join(tables)}"
        )
    media_type = MEDIA_TYPES[path.suffix]
    download_name = f"hotline-{period.kind.value}-{period.label}-{name}"
    return FileResponse(path, media_type=media_type, filename=download_name)


def _period(kind: PeriodKind, day: date | None, settings: Settings) -> Period:
    try:
        return resolve_period(kind, day, settings.timezone)
    except PeriodError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _files(engine: Engine, settings: Settings, period: Period) -> Path:
    """The report's directory; made again unless it was made after the period ended."""
    root = reports_root(settings)
    directory = report_directory(root, period)
    done = directory / "report.pdf"
    if done.is_file() and done.stat().st_mtime > period.end.timestamp():
        return directory
    report = build_report(engine=engine, settings=settings, period=period)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        files = write_report(report, Path(scratch))
        directory.mkdir(exist_ok=True)
        # file by file, each atomically: a reader never sees half a file
        for path in sorted(files.directory.iterdir(), key=lambda p: p.suffix == ".pdf"):
            os.replace(path, directory / path.name)
    return directory
