"""Daily, weekly and monthly reports: the figures of one period gathered in one value.

`build_report` runs the queries (each an aggregation in the database) and returns a `Report`
that the API serves as JSON and `analytics.render` turns into HTML, PDF, CSV and XLSX. Steps
report progress through a callback, so the CLI can show a progress bar on a large history.
A report covers a `Scope`: the whole city, or one unit's own cases (analytics.scope).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from analytics.metrics import (
    DEADLINES,
    Dimension,
    GroupMetrics,
    Weights,
    composite_score,
    group_metrics,
    group_names,
    ranking,
    volume,
)
from analytics.periods import Period, PeriodKind
from analytics.prometheus import REPORT_BUILDS
from analytics.scope import CITY, Scope
from analytics.spikes import Spike, SpikeRules, detect_spikes, recorded_alerts
from analytics.sql import as_date, columns, local_day
from analytics.topics import Cluster, Rise, TopicTexts, clusters, rising
from core.clock import utcnow
from core.settings import Settings
from models import Case, Category, Unit
from models.enums import UnitKind

cases = columns(Case)
categories = columns(Category)
units = columns(Unit)

TREND_DAYS = 30
BUILD_STEPS = 12  # progress callbacks made by build_report


class HeatMap(BaseModel):
    """Cases per district (rows) and level-1 category (columns)."""

    rows: list[str]  # district names
    columns: list[str]  # category names
    values: list[list[int]]


class Report(BaseModel):
    kind: PeriodKind
    label: str
    unit: str | None = None  # None: the whole city; else this unit and the units under it
    first: date
    last: date
    timezone: str
    generated_at: datetime
    accepted: int
    accepted_previous: int
    overall: GroupMetrics
    trend: list[tuple[date, int]]  # cases per day, ending on the period's last day
    by_channel: dict[str, int]
    by_category: list[tuple[str, str, int]]  # code, name, cases (top 20)
    by_district: list[tuple[str, str, int]]
    rankings: dict[str, list[GroupMetrics]]  # district, street, department
    units: list[GroupMetrics]
    heat_map: HeatMap
    rising_categories: list[Rise]
    rising_districts: list[Rise]
    clusters: list[Cluster]
    spikes: list[Spike]
    topic_texts: TopicTexts = TopicTexts()  # how many texts the clusters rest on


def build_report(
    *,
    engine: Engine,
    settings: Settings,
    period: Period,
    scope: Scope = CITY,
    progress: Callable[[str], None] | None = None,
) -> Report:
    step = progress or (lambda _name: None)
    REPORT_BUILDS.labels(kind=period.kind.value).inc()
    weights = Weights.from_settings(settings)
    step("volume")
    accepted_by_channel = volume(
        engine=engine, period=period, dimension=Dimension.channel, scope=scope
    )
    previous = volume(
        engine=engine, period=period.previous(), dimension=Dimension.channel, scope=scope
    )
    step("trend")
    trend = daily_trend(engine=engine, period=period, scope=scope)
    step("categories and districts")
    per_category = volume(engine=engine, period=period, dimension=Dimension.category, scope=scope)
    per_district = volume(engine=engine, period=period, dimension=Dimension.district, scope=scope)
    by_category = _top(engine, per_category, Dimension.category, 20)
    by_district = _top(engine, per_district, Dimension.district, 50)
    rankings: dict[str, list[GroupMetrics]] = {}
    for dimension in (Dimension.district, Dimension.street, Dimension.department):
        step(f"{dimension.value} ranking")
        rankings[dimension.value] = ranking(
            engine=engine, period=period, dimension=dimension, weights=weights, scope=scope
        )
    step("unit figures")
    units = group_metrics(
        engine=engine, period=period, dimension=Dimension.unit, weights=weights, scope=scope
    )
    step("heat map")
    heat = heat_map(engine=engine, period=period, scope=scope)
    step("rising categories and districts")
    rising_categories = rising(
        engine=engine, period=period, dimension=Dimension.category, scope=scope, now=per_category
    )
    rising_districts = rising(
        engine=engine, period=period, dimension=Dimension.district, scope=scope, now=per_district
    )
    step("clusters of similar requests")
    topics = clusters(
        engine=engine, period=period, scope=scope, max_read=settings.report_topic_texts or None
    )
    step("spikes")
    spikes = [s for s in _spikes(engine, settings, period) if scope.holds(s.unit_code)]
    step("city figures")
    channels = group_metrics(
        engine=engine, period=period, dimension=Dimension.channel, weights=weights, scope=scope
    )
    return Report(
        kind=period.kind,
        label=period.label,
        unit=scope.unit,
        first=period.first,
        last=period.last,
        timezone=period.timezone,
        generated_at=utcnow(),
        accepted=sum(accepted_by_channel.values()),
        accepted_previous=sum(previous.values()),
        overall=combine(channels, weights),
        trend=trend,
        by_channel=dict(sorted(accepted_by_channel.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_category=by_category,
        by_district=by_district,
        rankings=rankings,
        units=units,
        heat_map=heat,
        rising_categories=rising_categories,
        rising_districts=rising_districts,
        clusters=topics.clusters,
        spikes=spikes,
        topic_texts=topics.texts,
    )


def combine(groups: list[GroupMetrics], weights: Weights) -> GroupMetrics:
    """The city as a whole: the groups' counts added up, the rates taken again from the sums."""
    total = GroupMetrics(key="all", name="全市")
    counted = (
        "accepted dispatched returns redispatches resolved reopened evaluated unreached "
        "contacted solved satisfied basically_satisfied dissatisfied"
    ).split()
    for group in groups:
        for name in counted:
            setattr(total, name, getattr(total, name) + getattr(group, name))
    total.breaches = {d: sum(g.breaches.get(d, 0) for g in groups) for d in DEADLINES}
    handled = [(g.avg_handling_hours, g.resolved) for g in groups if g.avg_handling_hours]
    if handled and total.resolved:
        hours = sum(h * n for h, n in handled) / sum(n for _h, n in handled)
        total.avg_handling_hours = round(hours, 6)
    n = total.evaluated
    if total.dispatched:
        total.on_time_rate = {
            d: round(1 - total.breaches[d] / total.dispatched, 6) for d in DEADLINES
        }
    if total.resolved:
        total.reopen_rate = round(total.reopened / total.resolved, 6)
    if n:
        total.response_rate = round(total.contacted / n, 6)
        total.resolution_rate = round(total.solved / n, 6)
        satisfied = total.satisfied + weights.basically_satisfied * total.basically_satisfied
        total.satisfaction_rate = round(satisfied / n, 6)
        total.score = composite_score(total, weights)
    return total


def daily_trend(*, engine: Engine, period: Period, scope: Scope = CITY) -> list[tuple[date, int]]:
    """Cases per local day over the last `TREND_DAYS` days (or the period, if longer)."""
    first = min(period.first, period.last - timedelta(days=TREND_DAYS - 1))
    window = Period(period.kind, first, period.last, period.timezone)
    day = local_day(engine, cases.created_at, period.timezone)
    query = (
        select(day.label("day"), func.count().label("n"))
        .where(
            cases.created_at >= window.start,
            cases.created_at < window.end,
            *scope.where(cases.lead_unit_code),
        )
        .group_by(day)
    )
    with engine.connect() as connection:
        counts = {as_date(row.day): int(row.n) for row in connection.execute(query)}
    return [(d, counts.get(d, 0)) for d in window.days]


def heat_map(*, engine: Engine, period: Period, scope: Scope = CITY) -> HeatMap:
    """District × level-1 category counts; every district of the city is a row."""
    top = func.substr(cases.category_code, 1, 2)
    query = (
        select(cases.district_code, top.label("top"), func.count().label("n"))
        .where(
            cases.created_at >= period.start,
            cases.created_at < period.end,
            cases.district_code.is_not(None),
            cases.category_code.is_not(None),
            *scope.where(cases.lead_unit_code),
        )
        .group_by(cases.district_code, top)
    )
    with engine.connect() as connection:
        counts = {(r.district_code, r.top): int(r.n) for r in connection.execute(query)}
        districts = connection.execute(
            select(units.code, units.name_zh)
            .where(units.kind == UnitKind.district.value)
            .order_by(units.code)
        ).all()
        tops = connection.execute(
            select(categories.code, categories.name_zh)
            .where(categories.level == 1)
            .order_by(categories.code)
        ).all()
    used = [t for t in tops if any(key[1] == t.code for key in counts)]
    return HeatMap(
        rows=[d.name_zh for d in districts],
        columns=[t.name_zh for t in used],
        values=[[counts.get((d.code, t.code), 0) for t in used] for d in districts],
    )


def _top(
    engine: Engine, counts: dict[str, int], dimension: Dimension, limit: int
) -> list[tuple[str, str, int]]:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    with engine.connect() as connection:
        names = group_names(connection, dimension, [k for k, _ in top])
    return [(key, names.get(key, key), n) for key, n in top]


def _spikes(engine: Engine, settings: Settings, period: Period) -> list[Spike]:
    """A daily report detects; longer reports list the alerts recorded in the period."""
    if period.kind is PeriodKind.daily:
        rules = SpikeRules.from_settings(settings)
        return detect_spikes(engine=engine, day=period.first, rules=rules, timezone=period.timezone)
    alerts = [a for a in recorded_alerts(engine=engine, since=period.first) if a.day <= period.last]
    with engine.connect() as connection:
        categories = group_names(connection, Dimension.category, [a.category_code for a in alerts])
        areas = group_names(connection, Dimension.district, [a.area_code for a in alerts])
    return [
        Spike(
            day=a.day,
            category_code=a.category_code,
            category_name=categories.get(a.category_code, a.category_code),
            area_code=a.area_code,
            area_name=areas.get(a.area_code, a.area_code),
            count=a.count,
            history=[],
            baseline=a.baseline,
            ratio=round(a.count / max(a.baseline, 1.0), 6),
            p_value=a.p_value,
            robust_z=None,
            unit_code=a.unit_code,
        )
        for a in alerts
    ]
