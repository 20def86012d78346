"""The figures' definitions, read straight from the events: the oracle the facts must equal.

These are the queries the rankings ran before the facts were kept (docs/analytics.md in SQL):
one pass over the period's events grouped per case, then per group. Production reads the facts
(analytics/metrics.py); `group_metrics(..., source=Source.events)` runs these, so tests and
anyone in doubt can check a figure against the record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.engine import Engine

from analytics.dimensions import Dimension
from analytics.grouping import cases_from, flag, group_key
from analytics.kinds import CALLBACK_OUTCOMES, DEADLINES, DISPATCHES, PROCESS_KINDS, RESOLVING
from analytics.periods import Period
from analytics.scope import Scope
from analytics.sql import columns, hours_between, table
from models import Case, CaseEvent, Unit
from models.enums import Satisfaction, UnitKind

cases = columns(Case)
events = columns(CaseEvent)
units_c = columns(Unit)
SATISFACTIONS = (
    Satisfaction.satisfied,
    Satisfaction.basically_satisfied,
    Satisfaction.dissatisfied,
)


def process_query(engine: Engine, period: Period, dimension: Dimension, scope: Scope) -> Any:
    """Per case of the cohort, one pass over its process events; then per group, sums."""
    event = events
    key = group_key(dimension)
    deadline = event.payload["deadline"].as_string()
    breach_columns = [
        func.max(flag(and_(event.kind == "sla_breach", deadline == name))).label(f"b_{name}")
        for name in DEADLINES
    ]
    per_case = (
        select(
            key.label("key"),
            cases.created_at.label("created_at"),
            func.sum(flag(event.kind.in_(DISPATCHES))).label("dispatches"),
            func.sum(flag(event.kind == "returned")).label("returns"),
            func.max(flag(event.kind == "reopened")).label("reopened"),
            func.min(case((event.kind.in_(RESOLVING), event.created_at))).label("resolved_at"),
            *breach_columns,
        )
        .select_from(cases_from(dimension).join(table(CaseEvent), event.case_id == cases.id))
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
        func.sum(flag(dispatched)).label("dispatched"),
        func.sum(per_case.c.returns).label("returns"),
        func.sum(per_case.c.dispatches).label("dispatches"),
        *[
            func.sum(flag(and_(dispatched, per_case.c[f"b_{name}"] == 1))).label(f"b_{name}")
            for name in DEADLINES
        ],
        func.sum(flag(per_case.c.resolved_at.is_not(None))).label("resolved"),
        func.sum(flag(per_case.c.reopened == 1)).label("reopened"),
        func.avg(handling).label("handling"),
    ).group_by(per_case.c.key)


def returns_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
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


def evaluation_query(period: Period, dimension: Dimension, scope: Scope) -> Any:
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
    key = group_key(dimension)
    return (
        select(
            key.label("key"),
            func.sum(flag(answered)).label("evaluated"),
            func.sum(flag(outcomes.c.kind == "survey_unanswered")).label("unreached"),
            func.sum(flag(and_(answered, outcomes.c.contacted == "true"))).label("contacted"),
            func.sum(flag(and_(answered, outcomes.c.resolved == "true"))).label("solved"),
            *[
                func.sum(flag(and_(answered, outcomes.c.satisfaction == value.value))).label(
                    value.value
                )
                for value in SATISFACTIONS
            ],
        )
        .select_from(cases_from(dimension).join(outcomes, outcomes.c.case_id == cases.id))
        .where(key.is_not(None), *scope.where(cases.lead_unit_code))
        .group_by(key)
    )
