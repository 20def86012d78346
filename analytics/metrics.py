"""The three rates, deadlines, returns, reopens and handling time per unit, area or category.

Two cohorts, as the city's assessment counts them (docs/analytics.md):
- process figures follow the cases *accepted* in the period (volume, dispatches, returns,
  deadline breaches, resolutions, reopens, handling time);
- the three rates follow the callbacks *completed* in the period: each case counts once, with
  the last survey answer it gave before the period ended, so a finished period never changes.
Both are single SQL aggregations over the per-case facts kept with every event, which carry
a copy of each case's group keys, so the million-row `cases` is not read (analytics/facts.py;
analytics/event_metrics.py has the same figures straight from the events); Python only divides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from analytics import event_metrics
from analytics.dimensions import RANKED, Dimension
from analytics.event_metrics import SATISFACTIONS
from analytics.grouping import cases_from, flag, group_key
from analytics.kinds import DEADLINES
from analytics.periods import Period
from analytics.scope import CITY, Scope
from analytics.sql import columns, hours_between, table
from core.settings import Settings
from models import Case, CaseEvaluation, CaseFactReturn, CaseFacts, Category, Unit
from models.enums import UnitKind

cases = columns(Case)
units_c = columns(Unit)
WORK_MEM = "64MB"  # per sort or hash of one query, for the length of one figures' transaction


class Source(StrEnum):
    """Where the figures are summed from: the per-case facts, or the events themselves."""

    facts = "facts"
    events = "events"


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
    source: Source = Source.facts,
) -> list[GroupMetrics]:
    """Every figure for every group with activity in the period, ordered by key.

    `source=Source.events` computes them from the events instead of the facts: slower, the
    definitions themselves, for checking.
    """
    by_events = source is Source.events
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # A month's cases hashed and grouped in memory, not sorted on disk in 4 MB pieces;
            # and no JIT: compiling these short scans took longer than running them.
            connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
            connection.exec_driver_sql("SET LOCAL jit = off")
        rows: dict[str, GroupMetrics] = {}
        if by_events:
            accepted = connection.execute(_volume_query(period, dimension, scope))
            rows = {row.key: _empty(row.key, row.n) for row in accepted}
            process = event_metrics.process_query(engine, period, dimension, scope)
        else:  # one pass over the cohort's cases counts them and sums their facts
            process = _process_query(engine, period, dimension, scope)
        for row in connection.execute(process).mappings():
            accepted_n = 0 if by_events else int(row["accepted"])
            _add_process(rows.setdefault(row["key"], _empty(row["key"], accepted_n)), row)
        if dimension in (Dimension.unit, Dimension.department):
            # A return counts against the unit that returned it, not the one that kept it.
            for metrics in rows.values():
                metrics.returns = 0
            returns = (event_metrics.returns_query if by_events else _returns_query)(
                period, dimension, scope
            )
            for unit in connection.execute(returns):
                metrics = rows.setdefault(unit.key, _empty(unit.key, 0))
                metrics.returns = int(unit.n)
        evaluations = (event_metrics.evaluation_query if by_events else _evaluation_query)(
            period, dimension, scope
        )
        for row in connection.execute(evaluations).mappings():
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
    source: Source = Source.facts,
) -> list[GroupMetrics]:
    """排名: groups with enough evaluated cases, best composite score first (ties share a rank)."""
    groups = group_metrics(
        engine=engine,
        period=period,
        dimension=dimension,
        weights=weights,
        scope=scope,
        source=source,
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
    with engine.connect() as connection:
        return {
            row.key: row.n for row in connection.execute(_volume_query(period, dimension, scope))
        }


def _volume_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
    key = group_key(dimension)
    return (
        select(key.label("key"), func.count().label("n"))
        .select_from(cases_from(dimension))
        .where(
            cases.created_at >= period.start,
            cases.created_at < period.end,
            key.is_not(None),
            *scope.where(cases.lead_unit_code),
        )
        .group_by(key)
    )


def total_volume(*, engine: Engine, period: Period) -> int:
    query = select(func.count()).where(
        cases.created_at >= period.start, cases.created_at < period.end
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


# ---- queries over the facts ---------------------------------------------------------------

facts = columns(CaseFacts)
returned = columns(CaseFactReturn)
outcomes = columns(CaseEvaluation)


def _process_query(engine: Engine, period: Period, dimension: Dimension, scope: Scope) -> Any:
    """Per group, the cases accepted in the period and the sums of their facts: one scan of
    the period's facts rows, one per case (zeros until its first process event)."""
    key = group_key(dimension, CaseFacts)
    dispatched = facts.dispatches > 0
    handling = hours_between(engine, facts.created_at, facts.resolved_at)
    return (
        select(
            key.label("key"),
            func.count().label("accepted"),
            func.sum(flag(dispatched)).label("dispatched"),
            func.sum(facts.returns).label("returns"),
            func.sum(facts.dispatches).label("dispatches"),
            *[
                func.sum(flag(and_(dispatched, facts[f"b_{name}"]))).label(f"b_{name}")
                for name in DEADLINES
            ],
            func.sum(flag(facts.resolved_at.is_not(None))).label("resolved"),
            func.sum(flag(facts.reopened)).label("reopened"),
            func.avg(handling).label("handling"),
        )
        .select_from(cases_from(dimension, CaseFacts))
        .where(
            facts.created_at >= period.start,
            facts.created_at < period.end,
            key.is_not(None),
            *scope.where(facts.lead_unit_code),
        )
        .group_by(key)
    )


def _returns_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
    """退单 of the period's cases, per unit that returned them (in a unit's scope: its own)."""
    unit = returned.unit_code
    query = (
        select(unit.label("key"), func.sum(returned.n).label("n"))
        .select_from(table(CaseFactReturn))
        .join(table(CaseFacts), facts.case_id == returned.case_id)
        .where(
            facts.created_at >= period.start,
            facts.created_at < period.end,
            *scope.where(unit),
        )
        .group_by(unit)
    )
    if dimension is Dimension.department:
        kinds = [UnitKind.department.value, UnitKind.utility.value]
        query = query.join(Unit, and_(units_c.code == unit, units_c.kind.in_(kinds)))
    return query


def _evaluation_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
    """The last callback outcome of each case that ended its callback in the period (the
    outcomes carry their case's keys: no join)."""
    answered = outcomes.kind == "survey_answered"
    key = group_key(dimension, CaseEvaluation)
    return (
        select(
            key.label("key"),
            func.sum(flag(answered)).label("evaluated"),
            func.sum(flag(outcomes.kind == "survey_unanswered")).label("unreached"),
            func.sum(flag(and_(answered, outcomes.contacted))).label("contacted"),
            func.sum(flag(and_(answered, outcomes.resolved))).label("solved"),
            *[
                func.sum(flag(and_(answered, outcomes.satisfaction == value.value))).label(
                    value.value
                )
                for value in SATISFACTIONS
            ],
        )
        .select_from(cases_from(dimension, CaseEvaluation))
        .where(
            outcomes.created_at >= period.start,
            outcomes.created_at < period.end,
            # No later outcome (by id) recorded before the period ended.
            or_(outcomes.superseded_at.is_(None), outcomes.superseded_at >= period.end),
            key.is_not(None),
            *scope.where(outcomes.lead_unit_code),
        )
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
    "DEADLINES",
    "RANKED",
    "Dimension",
    "GroupMetrics",
    "Source",
    "Weights",
    "group_metrics",
    "ranking",
    "total_volume",
    "volume",
]
