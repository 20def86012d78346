"""The console's reports page: a month's three rates, rankings, hot topics and spikes.

The figures are the report `hotline report monthly` writes and `/api/v1/reports/monthly`
serves (`analytics.cache.cached_report`, which builds with `analytics.reports.build_report`),
scoped the same way (`api.routes.reports.report_scope`): a unit handler reads their own unit's
(and the units under it), dispatchers, supervisors and admins the city's; operators none.
The month's files (HTML, PDF, XLSX, CSV) download behind the same check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from analytics.cache import cached_files, cached_report
from analytics.periods import Period, PeriodError, PeriodKind, resolve_period
from analytics.reports import Report
from analytics.scope import Scope
from api.deps import EngineDep, SettingsDep
from api.routes.reports import FILE_NAME, MEDIA_TYPES, report_scope
from core.i18n import S_, Domain
from core.settings import Settings
from models.unit import Category, Unit
from web.console import Staff, StaffDep, _page
from web.i18n import request_language, text

router = APIRouter(prefix="/console", include_in_schema=False)

MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
RANKED = ("district", "street", "department")
RANKING_TITLES = {
    "district": S_("Districts"),
    "street": S_("Streets"),
    "department": S_("Departments"),
}
DOWNLOADS = (
    ("report.pdf", S_("The report (PDF)")),
    ("report.xlsx", S_("Every table (Excel)")),
    ("report.html", S_("The report as a web page")),
    ("summary.csv", S_("Summary (CSV)")),
    ("units.csv", S_("Units (CSV)")),
)
SHOWN = 20  # rows of each ranking on the page; the files hold them all


@dataclass(frozen=True)
class Topic:
    size: int
    terms: str
    categories: str


@dataclass(frozen=True)
class SpikeRow:
    day: str
    category: str
    area: str
    count: int
    baseline: str
    ratio: str


def _month(value: str, settings: Settings, language: Any) -> Period:
    """`YYYY-MM`, or the last complete month when empty; a clear 422 for anything else."""
    if not value:
        return resolve_period(PeriodKind.monthly, None, settings.timezone)
    found = MONTH.match(value)
    bad = text(language, Domain.staff, S_("Choose a month as YYYY-MM, e.g. 2026-10."))
    if not found:
        raise HTTPException(422, bad)
    year, month = int(found.group(1)), int(found.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        raise HTTPException(422, bad)
    try:
        return resolve_period(PeriodKind.monthly, date(year, month, 1), settings.timezone)
    except PeriodError as exc:
        future = S_("The month {month} has not begun yet.")
        raise HTTPException(422, text(language, Domain.staff, future, month=value)) from exc


def _scope(staff: Staff, engine: Any) -> Scope:
    """The reports API's own check, for the console user (403 for operators)."""
    return report_scope(user=staff.user, engine=engine, unit=None)


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    staff: StaffDep,
    engine: EngineDep,
    settings: SettingsDep,
    month: str = "",
) -> HTMLResponse:
    language = request_language(request)
    scope = _scope(staff, engine)
    try:
        period = _month(month.strip(), settings, language)
    except HTTPException as exc:
        refused = {"error": exc.detail, "month": month, "report": None}
        return _page(request, staff, "console/reports.html", refused, status_code=422)
    report = await run_in_threadpool(
        lambda: cached_report(engine=engine, settings=settings, period=period, scope=scope)
    )

    def names() -> tuple[dict[str, str], str | None]:
        with Session(engine) as session:
            unit = session.get(Unit, scope.unit) if scope.unit else None
            whose = None if unit is None else _name(unit, language)
            return _category_names(session, report, language), whose

    category_names, scope_unit = await run_in_threadpool(names)
    context: dict[str, Any] = {
        "error": None,
        "month": period.first.strftime("%Y-%m"),
        "report": report,
        "scope_unit": scope_unit,
        "generated": report.generated_at.astimezone(ZoneInfo(settings.timezone)).strftime(
            "%Y-%m-%d %H:%M"
        ),
        "rankings": [(RANKING_TITLES[d], report.rankings.get(d, [])[:SHOWN]) for d in RANKED],
        "topics": [
            Topic(
                c.size,
                " ".join(c.terms),
                "、".join(f"{category_names.get(k, k)} ×{n}" for k, n in c.categories.items()),
            )
            for c in report.clusters
        ],
        "rising": report.rising_categories,
        "spikes": [
            SpikeRow(
                s.day.strftime("%m-%d"),
                s.category_name,
                s.area_name,
                s.count,
                f"{s.baseline:.1f}",
                f"{s.ratio:.1f}×",
            )
            for s in report.spikes
        ],
        "downloads": DOWNLOADS,
        "percent": _percent,
    }
    return _page(request, staff, "console/reports.html", context)


@router.get("/reports/files/{name}", response_model=None)
async def report_file(
    request: Request,
    name: str,
    staff: StaffDep,
    engine: EngineDep,
    settings: SettingsDep,
    month: str = "",
) -> Response:
    """One file of the month's report, for the reader's own scope only."""
    scope = _scope(staff, engine)
    if not FILE_NAME.match(name):
        raise HTTPException(404, "ask for report.html, report.pdf, report.xlsx or <table>.csv")
    period = _month(month.strip(), settings, request_language(request))
    directory = await run_in_threadpool(
        lambda: cached_files(engine=engine, settings=settings, period=period, scope=scope)
    )
    path = directory / name
    if not path.is_file():
        raise HTTPException(404, f"no {name} in this report")
    whose = f"{scope.key}-" if scope.unit else ""
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        filename=f"hotline-{whose}monthly-{period.label}-{name}",
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _name(row: Unit | Category, language: Any) -> str:
    english = getattr(language, "value", language) == "en"
    return row.name_en if english and row.name_en else row.name_zh


def _category_names(session: Session, report: Report, language: Any) -> dict[str, str]:
    codes = {code for cluster in report.clusters for code in cluster.categories}
    if not codes:
        return {}
    rows = session.exec(select(Category).where(col(Category.code).in_(sorted(codes)))).all()
    return {c.code: _name(c, language) for c in rows}
