"""The three rates, deadlines, returns, reopens and handling time per unit, area or category.

Two cohorts, as the city's assessment counts them (docs/analytics.md):
- process figures follow the cases *accepted* in the period (volume, dispatches, returns,
  deadline breaches, resolutions, reopens, handling time);
- the three rates follow the callbacks *completed* in the period: each case counts once, with
  the last survey answer it gave before the period ended, so a finished period never changes.
Both are single SQL aggregations over `cases` and `case_events`; Python only divides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from analytics.dimensions import RANKED, Dimension
from analytics.periods import Period
from analytics.scope import CITY, Scope
from analytics.sql import columns, hours_between, table
from core.settings import Settings
from models import Case, CaseEvent, Category, Unit
from models.enums import Satisfaction, UnitKind

cases = columns(Case)
events = columns(CaseEvent)
units_c = columns(Unit)

RESOLVING = ("resolved", "answered_directly")
CALLBACK_OUTCOMES = ("survey_answered", "survey_unanswered")
DEADLINES = ("acknowledge", "respond", "resolve")
DISPATCHES = ("dispatched", "redispatched")  # a supervisor's 改派 is a dispatch too
PROCESS_KINDS = (*DISPATCHES, "returned", "reopened", "sla_breach", *RESOLVING)


@dataclass(frozen=True)
class Weights:
    response: float
    resolution: float
    satisfaction: float
    on_time: float
    basically_satisfied: float
    min_evaluated: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            response=settings.score_weight_response,
            resolution=settings.score_weight_resolution,
            satisfaction=settings.score_weight_satisfaction,
            on_time=settings.score_weight_on_time,
            basically_satisfied=settings.basically_satisfied_weight,
            min_evaluated=settings.ranking_min_evaluated,
        )


class GroupMetrics(BaseModel):
    key: str
    name: str
    # cases accepted in the period
    accepted: int = 0
    dispatched: int = 0
    returns: int = 0
    redispatches: int = 0
    breaches: dict[str, int] = {}
    on_time_rate: dict[str, float | None] = {}
    resolved: int = 0
    reopened: int = 0
    reopen_rate: float | None = None
    avg_handling_hours: float | None = None
    # callbacks completed in the period
    evaluated: int = 0
    unreached: int = 0
    contacted: int = 0
    solved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    response_rate: float | None = None
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    score: float | None = None
    rank: int | None = None


def group_metrics(
    *,
    engine: Engine,
    period: Period,
    dimension: Dimension,
    weights: Weights,
    scope: Scope = CITY,
) -> list[GroupMetrics]:
    """Every figure for every group with activity in the period, ordered by key."""
    accepted = volume(engine=engine, period=period, dimension=dimension, scope=scope)
    rows = {key: _empty(key, n) for key, n in accepted.items()}
    with engine.connect() as connection:
        process = _process_query(engine, period, dimension, scope)
        for row in connection.execute(process).mappings():
            _add_process(rows.setdefault(row["key"], _empty(row["key"], 0)), row)
        if dimension in (Dimension.unit, Dimension.department):
            # A return counts against the unit that returned it, not the one that kept it.
            for metrics in rows.values():
                metrics.returns = 0
            for returned in connection.execute(_returns_query(period, dimension, scope)):
                metrics = rows.setdefault(returned.key, _empty(returned.key, 0))
                metrics.returns = int(returned.n)
        for row in connection.execute(_evaluation_query(period, dimension, scope)).mappings():
            metrics = rows.setdefault(row["key"], _empty(row["key"], 0))
            _add_evaluations(metrics, row, weights)
        names = group_names(connection, dimension, list(rows))
    for metrics in rows.values():
        metrics.name = names.get(metrics.key, metrics.key)
    return [rows[key] for key in sorted(rows)]


def ranking(
    *,
    engine: Engine,
    period: Period,
    dimension: Dimension,
    weights: Weights,
    scope: Scope = CITY,
) -> list[GroupMetrics]:
    """排名: groups with enough evaluated cases, best composite score first (ties share a rank)."""
    groups = group_metrics(
        engine=engine, period=period, dimension=dimension, weights=weights, scope=scope
    )
    ranked = [g for g in groups if g.score is not None and g.evaluated >= weights.min_evaluated]
    ranked.sort(key=lambda g: (-round(g.score or 0.0, 9), -g.evaluated, g.key))
    previous: float | None = None
    for position, group in enumerate(ranked, start=1):
        score = round(group.score or 0.0, 9)
        group.rank = position if score != previous else ranked[position - 2].rank
        previous = score
    return ranked


def volume(
    *, engine: Engine, period: Period, dimension: Dimension, scope: Scope = CITY
) -> dict[str, int]:
    """Cases accepted in the period per group (cases without the group's key are left out)."""
    key = _key(dimension)
    query = (
        select(key.label("key"), func.count().label("n"))
        .select_from(_cases_from(dimension))
        .where(
            cases.created_at >= period.start,
            cases.created_at < period.end,
            key.is_not(None),
            *scope.where(cases.lead_unit_code),
        )
        .group_by(key)
    )
    with engine.connect() as connection:
        return {row.key: row.n for row in connection.execute(query)}


def total_volume(*, engine: Engine, period: Period) -> int:
    query = select(func.count()).where(
        cases.created_at >= period.start, cases.created_at < period.end
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


# ---- queries -------------------------------------------------------------------------------


def _key(dimension: Dimension) -> ColumnElement[Any]:
    columns: dict[Dimension, Any] = {
        Dimension.unit: cases.lead_unit_code,
        Dimension.district: func.coalesce(_lead_place(UnitKind.district), cases.district_code),
        Dimension.street: func.coalesce(_lead_place(UnitKind.street), cases.street_code),
        Dimension.department: cases.lead_unit_code,
        Dimension.category: cases.category_code,
        Dimension.channel: cases.channel,
    }
    return columns[dimension]


def _lead_place(kind: UnitKind) -> ColumnElement[Any]:
    """The district or street the lead unit is (a street's district for districts), when the
    lead unit is a place; the case's own place counts otherwise (a department, none yet)."""
    lead = table(Unit).alias("lead_place")
    if kind is UnitKind.street:
        value: Any = case((lead.c.kind == UnitKind.street.value, lead.c.code))
    else:
        value = case(
            (lead.c.kind == UnitKind.district.value, lead.c.code),
            (lead.c.kind == UnitKind.street.value, lead.c.parent_code),
        )
    query = select(value).where(lead.c.code == cases.lead_unit_code)
    return query.scalar_subquery()


def _cases_from(dimension: Dimension) -> Any:
    """`cases`, joined to the lead unit when only departments and utilities count."""
    if dimension is not Dimension.department:
        return table(Case)
    return table(Case).join(
        table(Unit),
        and_(
            units_c.code == cases.lead_unit_code,
            units_c.kind.in_([UnitKind.department.value, UnitKind.utility.value]),
        ),
    )


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _process_query(engine: Engine, period: Period, dimension: Dimension, scope: Scope) -> Any:
    """Per case of the cohort, one pass over its process events; then per group, sums.

    The group key is taken inside the per-case pass (no join afterwards), so PostgreSQL can
    run that pass in parallel and aggregate every event once.
    """
    event = events
    key = _key(dimension)
    deadline = event.payload["deadline"].as_string()
    breach_columns = [
        func.max(_flag(and_(event.kind == "sla_breach", deadline == name))).label(f"b_{name}")
        for name in DEADLINES
    ]
    per_case = (
        select(
            key.label("key"),
            cases.created_at.label("created_at"),
            func.sum(_flag(event.kind.in_(DISPATCHES))).label("dispatches"),
            func.sum(_flag(event.kind == "returned")).label("returns"),
            func.max(_flag(event.kind == "reopened")).label("reopened"),
            func.min(case((event.kind.in_(RESOLVING), event.created_at))).label("resolved_at"),
            *breach_columns,
        )
        .select_from(_cases_from(dimension).join(table(CaseEvent), event.case_id == cases.id))
        .where(
            cases.created_at >= period.start,
            cases.created_at < period.end,
            key.is_not(None),
            *scope.where(cases.lead_unit_code),
            event.kind.in_(PROCESS_KINDS),  # leave out the bulk: accepted, acknowledged, …
        )
        .group_by(event.case_id, key, cases.created_at)
        .subquery()
    )
    dispatched = per_case.c.dispatches > 0
    handling = hours_between(engine, per_case.c.created_at, per_case.c.resolved_at)
    return select(
        per_case.c.key,
        func.sum(_flag(dispatched)).label("dispatched"),
        func.sum(per_case.c.returns).label("returns"),
        func.sum(per_case.c.dispatches).label("dispatches"),
        *[
            func.sum(_flag(and_(dispatched, per_case.c[f"b_{name}"] == 1))).label(f"b_{name}")
            for name in DEADLINES
        ],
        func.sum(_flag(per_case.c.resolved_at.is_not(None))).label("resolved"),
        func.sum(_flag(per_case.c.reopened == 1)).label("reopened"),
        func.avg(handling).label("handling"),
    ).group_by(per_case.c.key)


def _returns_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
    """退单 of the period's cases, per unit that returned them (in a unit's scope: its own)."""
    unit = events.payload["unit"].as_string()
    query = (
        select(unit.label("key"), func.count().label("n"))
        .select_from(table(CaseEvent))
        .join(Case, cases.id == events.case_id)
        .where(
            events.kind == "returned",
            cases.created_at >= period.start,
            cases.created_at < period.end,
            *scope.where(unit),
        )
        .group_by(unit)
    )
    if dimension is Dimension.department:
        kinds = [UnitKind.department.value, UnitKind.utility.value]
        query = query.join(Unit, and_(units_c.code == unit, units_c.kind.in_(kinds)))
    return query


def _evaluation_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
    """The last callback outcome of each case that ended its callback in the period."""
    event = events
    later = table(CaseEvent).alias("later").c
    superseded = exists().where(
        later.case_id == event.case_id,
        later.kind.in_(CALLBACK_OUTCOMES),
        later.id > event.id,
        later.created_at < period.end,
    )
    payload: Any = event.payload
    outcomes = (
        select(
            event.case_id.label("case_id"),
            event.kind.label("kind"),
            payload["contacted"].as_string().label("contacted"),
            payload["resolved"].as_string().label("resolved"),
            payload["satisfaction"].as_string().label("satisfaction"),
        )
        .where(
            event.kind.in_(CALLBACK_OUTCOMES),
            event.created_at >= period.start,
            event.created_at < period.end,
            ~superseded,
        )
        .subquery()
    )
    answered = outcomes.c.kind == "survey_answered"
    key = _key(dimension)
    return (
        select(
            key.label("key"),
            func.sum(_flag(answered)).label("evaluated"),
            func.sum(_flag(outcomes.c.kind == "survey_unanswered")).label("unreached"),
            func.sum(_flag(and_(answered, outcomes.c.contacted == "true"))).label("contacted"),
            func.sum(_flag(and_(answered, outcomes.c.resolved == "true"))).label("solved"),
            *[
                func.sum(_flag(and_(answered, outcomes.c.satisfaction == value.value))).label(
                    value.value
                )
                for value in (
                    Satisfaction.satisfied,
                    Satisfaction.basically_satisfied,
                    Satisfaction.dissatisfied,
                )
            ],
        )
        .select_from(_cases_from(dimension).join(outcomes, outcomes.c.case_id == cases.id))
        .where(key.is_not(None), *scope.where(cases.lead_unit_code))
        .group_by(key)
    )


def group_names(connection: Any, dimension: Dimension, keys: list[str]) -> dict[str, str]:
    """Chinese names of units or categories; channels are their own names."""
    if not keys or dimension is Dimension.channel:
        return {}
    table: Any = Category if dimension is Dimension.category else Unit
    query = select(table.code, table.name_zh).where(table.code.in_(keys))
    return {row.code: row.name_zh for row in connection.execute(query)}


# ---- arithmetic ----------------------------------------------------------------------------


def _empty(key: str, accepted: int) -> GroupMetrics:
    return GroupMetrics(
        key=key,
        name="",
        accepted=accepted,
        breaches=dict.fromkeys(DEADLINES, 0),
        on_time_rate=dict.fromkeys(DEADLINES),
    )


def _add_process(metrics: GroupMetrics, row: Any) -> None:
    dispatched = int(row["dispatched"] or 0)
    metrics.dispatched = dispatched
    metrics.returns = int(row["returns"] or 0)
    metrics.redispatches = int(row["dispatches"] or 0) - dispatched
    metrics.breaches = {name: int(row[f"b_{name}"] or 0) for name in DEADLINES}
    metrics.on_time_rate = {
        name: _rate(dispatched - n, dispatched) for name, n in metrics.breaches.items()
    }
    metrics.resolved = int(row["resolved"] or 0)
    metrics.reopened = int(row["reopened"] or 0)
    metrics.reopen_rate = _rate(metrics.reopened, metrics.resolved)
    handling = row["handling"]
    metrics.avg_handling_hours = round(float(handling), 6) if handling is not None else None


def _add_evaluations(metrics: GroupMetrics, row: Any, weights: Weights) -> None:
    for name in (
        "evaluated",
        "unreached",
        "contacted",
        "solved",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    ):
        setattr(metrics, name, int(row[name] or 0))
    n = metrics.evaluated
    metrics.response_rate = _rate(metrics.contacted, n)
    metrics.resolution_rate = _rate(metrics.solved, n)
    metrics.satisfaction_rate = _rate(
        metrics.satisfied + weights.basically_satisfied * metrics.basically_satisfied, n
    )
    metrics.score = composite_score(metrics, weights)


def composite_score(metrics: GroupMetrics, weights: Weights) -> float | None:
    """综合成绩: the weighted rates, on a 0–100 scale; None without any evaluated case."""
    if not metrics.evaluated:
        return None
    n = metrics.evaluated
    satisfied = metrics.satisfied + weights.basically_satisfied * metrics.basically_satisfied
    parts: list[tuple[float, float | None]] = [
        (weights.response, metrics.contacted / n),
        (weights.resolution, metrics.solved / n),
        (weights.satisfaction, satisfied / n),
    ]
    if weights.on_time and metrics.dispatched:
        on_time = 1 - metrics.breaches.get("resolve", 0) / metrics.dispatched
        parts.append((weights.on_time, on_time))
    total = sum(weight for weight, value in parts if value is not None)
    if not total:
        return None
    score = sum(weight * value for weight, value in parts if value is not None) / total
    return round(100 * score, 6)


def _rate(part: float, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


__all__ = [
    "RANKED",
    "Dimension",
    "GroupMetrics",
    "Weights",
    "group_metrics",
    "ranking",
    "total_volume",
    "volume",
]
