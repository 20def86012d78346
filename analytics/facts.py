"""Per-case facts, kept with each event and rebuilt from the events when asked.

The rankings would otherwise re-read a month's events and group them per case on every visit
(over a million cases, tens of seconds). So the transaction that appends an event also folds
it into its case's facts (`record_facts`), and the rankings sum those rows. The events stay
the record: `rebuild_facts` recomputes every row from them with the same rules in SQL, and the
tests hold both against the event-based definitions (analytics/event_metrics.py).

Every case has a facts row from intake on, carrying a copy of the case's group keys
(`KEYS`), and so does each callback outcome, so a ranking counts and sums one narrow table
without joining `cases`. The copy is
refreshed wherever those columns are written: with every event (`record_facts`), at intake and
on any other write (`refresh_case_keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from analytics.kinds import CALLBACK_OUTCOMES, DEADLINES, DISPATCHES, PROCESS_KINDS, RESOLVING
from analytics.sql import columns, table
from models import Case, CaseEvaluation, CaseEvent, CaseFactReturn, CaseFacts

FACT_KINDS = (*PROCESS_KINDS, *CALLBACK_OUTCOMES)
# The case columns the dimensions group by (analytics/grouping.py), copied onto its facts
# (with the cohort's date) and onto each of its callback outcomes.
GROUP_KEYS = ("lead_unit_code", "district_code", "street_code", "category_code", "channel")
KEYS = ("created_at", *GROUP_KEYS)


@dataclass(frozen=True)
class Evaluation:
    """A callback outcome, unpacked as the three rates read it."""

    kind: str
    contacted: bool
    resolved: bool
    satisfaction: str | None


@dataclass(frozen=True)
class FactChange:
    """What one event adds to its case's facts."""

    dispatches: int = 0
    returned_by: str | None = None  # a return: the unit that returned the case
    returned: bool = False
    reopened: bool = False
    resolved_at: datetime | None = None
    breach: str | None = None  # the deadline missed
    evaluation: Evaluation | None = None


def fact_change(kind: str, payload: Mapping[str, Any], at: datetime) -> FactChange | None:
    """The change an event makes, or None for the many that make none (acknowledged, …)."""
    if kind in DISPATCHES:
        return FactChange(dispatches=1)
    if kind == "returned":
        unit = payload.get("unit")
        return FactChange(returned=True, returned_by=str(unit) if unit is not None else None)
    if kind == "reopened":
        return FactChange(reopened=True)
    if kind in RESOLVING:
        return FactChange(resolved_at=at)
    if kind == "sla_breach":
        deadline = payload.get("deadline")
        return FactChange(breach=deadline) if deadline in DEADLINES else None
    if kind in CALLBACK_OUTCOMES:
        satisfaction = payload.get("satisfaction")
        return FactChange(
            evaluation=Evaluation(
                kind=kind,
                contacted=_true(payload.get("contacted")),
                resolved=_true(payload.get("resolved")),
                satisfaction=str(satisfaction) if satisfaction is not None else None,
            )
        )
    return None


def _true(value: Any) -> bool:
    """The survey writes "true"/"false"; JSON reads a true boolean as "true" too."""
    return str(value).lower() == "true"


def _key_values(case: Case) -> dict[str, Any]:
    values = {name: getattr(case, name) for name in KEYS}
    values["channel"] = str(getattr(case.channel, "value", case.channel))
    return values


def refresh_case_keys(session: Session, case: Case, *, created: bool = False) -> None:
    """Copy the case's group keys onto its facts row, in the caller's transaction: call it
    after any write of those columns that no recorded event follows (`record_facts` does it
    for those). `created`: the case row was just inserted, so its facts row is too (one Core
    INSERT, for intake's hot path)."""
    assert case.id is not None
    if not created:
        _facts_with_keys(session, case)
        return
    row = CaseFacts(case_id=case.id, **_key_values(case))
    target = table(CaseFacts)
    values = {column.name: getattr(row, column.name) for column in target.columns}
    session.connection().execute(insert(target).values(values))


def _facts_with_keys(session: Session, case: Case) -> CaseFacts:
    """The case's facts row, locked, made if missing, its keys (and its outcomes') the case's
    own."""
    assert case.id is not None
    keys = _key_values(case)
    facts = session.get(CaseFacts, case.id, with_for_update=True)
    if facts is None:
        facts = CaseFacts(case_id=case.id, **keys)
    else:
        moved = {name: keys[name] for name in GROUP_KEYS if getattr(facts, name) != keys[name]}
        if moved:  # rare (a re-dispatch, a corrected category): the outcomes follow
            outcomes = table(CaseEvaluation)
            session.execute(update(outcomes).where(outcomes.c.case_id == case.id).values(**moved))
        for name, value in keys.items():
            setattr(facts, name, value)
    session.add(facts)
    return facts


def record_facts(session: Session, *, case: Case, event: CaseEvent) -> None:
    """Fold a new event into its case's facts, in the caller's transaction, and copy the
    case's keys as the event left them (pass the case after its row took the change).

    Call it once per event, when the event is added (not on a retry that found it there):
    the facts count events, so a second call would count one twice.
    """
    assert case.id is not None
    facts = _facts_with_keys(session, case)
    keys = {name: getattr(facts, name) for name in GROUP_KEYS}
    change = fact_change(event.kind, event.payload, event.created_at)
    if change is None:
        return
    if change.evaluation is not None:
        session.add(event)
        session.flush()  # the event's id orders the outcomes; earlier ones must be rows
        assert event.id is not None
        _supersede(session, case_id=case.id, event_id=event.id, at=event.created_at)
        session.add(
            CaseEvaluation(
                id=event.id,
                case_id=case.id,
                created_at=event.created_at,
                kind=change.evaluation.kind,
                contacted=change.evaluation.contacted,
                resolved=change.evaluation.resolved,
                satisfaction=change.evaluation.satisfaction,
                **keys,
            )
        )
        return
    facts.dispatches += change.dispatches
    facts.reopened = facts.reopened or change.reopened
    if change.resolved_at is not None and (
        facts.resolved_at is None or change.resolved_at < facts.resolved_at
    ):
        facts.resolved_at = change.resolved_at
    if change.breach is not None:
        setattr(facts, f"b_{change.breach}", True)
    if change.returned:
        facts.returns += 1
    session.add(facts)
    if change.returned_by is not None:
        key = (case.id, change.returned_by)
        returned = session.get(CaseFactReturn, key, with_for_update=True)
        if returned is None:
            returned = CaseFactReturn(case_id=case.id, unit_code=change.returned_by)
        returned.n += 1
        session.add(returned)


def _supersede(session: Session, *, case_id: int, event_id: int, at: datetime) -> None:
    """The case's earlier outcomes are superseded from `at` on (if not already before)."""
    earlier = table(CaseEvaluation).c
    session.execute(
        update(table(CaseEvaluation))
        .where(
            earlier.case_id == case_id,
            earlier.id < event_id,
            or_(earlier.superseded_at.is_(None), earlier.superseded_at > at),
        )
        .values(superseded_at=at)
    )


# ---- rebuilding from the events ----------------------------------------------------------------

events = columns(CaseEvent)
cases = columns(Case)
Progress = Callable[[int], None]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _cases_in(column: Any, low: int, high: int, since: datetime | None) -> list[Any]:
    """The batch's cases; with `since`, only those with an event since then."""
    where = [column.between(low, high)]
    if since is not None:
        moved = select(events.case_id).where(events.created_at >= since)
        where.append(column.in_(moved))
    return where


def _insert_facts(connection: Connection, low: int, high: int, since: datetime | None) -> None:
    """A row for every case of the batch, its keys copied, its process events summed (none:
    zeros, as at intake)."""
    deadline = events.payload["deadline"].as_string()
    breaches = [
        func.coalesce(
            func.max(_flag(and_(events.kind == "sla_breach", deadline == name))) == 1, False
        ).label(f"b_{name}")
        for name in DEADLINES
    ]
    keys = [cases[name] for name in KEYS]
    per_case = (
        select(
            cases.id,
            *keys,
            func.coalesce(func.sum(_flag(events.kind.in_(DISPATCHES))), 0),
            func.coalesce(func.sum(_flag(events.kind == "returned")), 0),
            func.coalesce(func.max(_flag(events.kind == "reopened")) == 1, False),
            func.min(case((events.kind.in_(RESOLVING), events.created_at))),
            *breaches,
        )
        .select_from(
            table(Case).outerjoin(
                table(CaseEvent),
                and_(events.case_id == cases.id, events.kind.in_(PROCESS_KINDS)),
            )
        )
        .where(*_cases_in(cases.id, low, high, since))
        .group_by(cases.id, *keys)
    )
    names = ["case_id", *KEYS, "dispatches", "returns", "reopened", "resolved_at"]
    names += [f"b_{name}" for name in DEADLINES]
    connection.execute(insert(table(CaseFacts)).from_select(names, per_case))


def _insert_returns(connection: Connection, where: list[Any]) -> None:
    unit = events.payload["unit"].as_string()
    per_unit = (
        select(events.case_id, unit, func.count())
        .where(events.kind == "returned", unit.is_not(None), *where)
        .group_by(events.case_id, unit)
    )
    target = table(CaseFactReturn)
    connection.execute(insert(target).from_select(["case_id", "unit_code", "n"], per_unit))


def _insert_evaluations(connection: Connection, where: list[Any]) -> None:
    payload: Any = events.payload
    outcomes = (
        select(
            events.id,
            events.case_id,
            events.created_at,
            events.kind,
            func.coalesce(payload["contacted"].as_string() == "true", False),
            func.coalesce(payload["resolved"].as_string() == "true", False),
            payload["satisfaction"].as_string(),
            func.min(events.created_at).over(
                partition_by=events.case_id, order_by=events.id, rows=(1, None)
            ),
            *[cases[name] for name in GROUP_KEYS],
        )
        .select_from(table(CaseEvent).join(table(Case), cases.id == events.case_id))
        .where(events.kind.in_(CALLBACK_OUTCOMES), *where)
    )
    names = ["id", "case_id", "created_at", "kind", "contacted", "resolved", "satisfaction"]
    names += ["superseded_at", *GROUP_KEYS]
    connection.execute(insert(table(CaseEvaluation)).from_select(names, outcomes))


def rebuild_batch(connection: Connection, low: int, high: int, since: datetime | None) -> None:
    """Replace the facts of the cases with ids low…high (that moved since `since`)."""
    for model in (CaseFacts, CaseFactReturn, CaseEvaluation):
        target = table(model)
        connection.execute(delete(target).where(*_cases_in(target.c.case_id, low, high, since)))
    where = _cases_in(events.case_id, low, high, since)
    _insert_facts(connection, low, high, since)
    _insert_returns(connection, where)
    _insert_evaluations(connection, where)


def batches(engine: Engine, size: int) -> Iterator[tuple[int, int, int]]:
    """(low id, high id, cases in it) of `size` cases each, by case id."""
    if size < 1:
        raise ValueError(f"a batch holds at least one case, not {size}")
    last = 0
    while True:
        with engine.connect() as connection:
            ids = select(cases.id).where(cases.id > last).order_by(cases.id).limit(size).subquery()
            low, high, n = connection.execute(
                select(func.min(ids.c.id), func.max(ids.c.id), func.count())
            ).one()
        if not n:
            return
        yield int(low), int(high), int(n)
        last = int(high)


def count_cases(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table(Case))).scalar_one())


def rebuild_facts(
    *,
    engine: Engine,
    since: datetime | None = None,
    batch: int = 10_000,
    progress: Progress | None = None,
) -> int:
    """Recompute the facts from the events, `batch` cases per transaction; idempotent.

    With `since`, only the cases with an event since then are recomputed (a case's facts are
    always recomputed whole). Returns the number of cases looked at.
    """
    done = 0
    for low, high, n in batches(engine, batch):
        with engine.begin() as connection:
            rebuild_batch(connection, low, high, since)
        done += n
        if progress is not None:
            progress(n)
    return done
