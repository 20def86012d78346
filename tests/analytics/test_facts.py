"""The per-case facts give every figure exactly as the events define it, and rebuild the same.

Random histories (returns, re-dispatches that move the lead unit and the place, category
corrections, breaches of each deadline, reopens, merges, answered and unanswered callbacks in
and out of the month) are written through `record_facts`, as the
activity writes them; then every dimension's figures from the facts must equal those computed
straight from the events (analytics/event_metrics.py), before and after `rebuild-facts`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from analytics.dimensions import Dimension
from analytics.facts import rebuild_facts
from analytics.metrics import Source, Weights, group_metrics
from analytics.periods import Period, PeriodKind, period_for
from analytics.scope import CITY, Scope, unit_scope
from analytics.sql import table
from cli.main import app as cli_app
from core.settings import get_settings
from models import CaseEvaluation, CaseFactReturn, CaseFacts
from models.enums import Channel, Satisfaction
from tests.analytics.history import BEIJING, Step, add_case, local

TIMEZONE = "Asia/Shanghai"
# Each example its own quarter: what one example wrote is in no other example's periods, so a
# failing example fails again alone (hypothesis replays it to shrink it).
_quarters = itertools.count()
WEIGHTS = Weights(
    response=0.1,
    resolution=0.45,
    satisfaction=0.45,
    on_time=0.2,
    basically_satisfied=0.8,
    min_evaluated=1,
)
KINDS = (
    "dispatched",
    "redispatched",
    "returned",
    "acknowledged",
    "responded",
    "sla_breach",
    "resolved",
    "answered_directly",
    "callback_started",
    "survey_answered",
    "survey_unanswered",
    "reopened",
    "merged",
    "closed",
)


@dataclass(frozen=True)
class Palette:
    """Real seeded units, so the district, street and department keys all have members."""

    streets: list[tuple[str, str]]  # (street, its district)
    leads: list[str]  # districts, streets, departments and utilities
    categories: list[str]


@pytest.fixture(scope="module")
def palette(history_engine: Engine) -> Palette:
    with history_engine.connect() as connection:
        streets = connection.execute(
            text(
                "SELECT code, parent_code FROM units WHERE kind = 'street' "
                "AND parent_code IN ('110105', '110108') ORDER BY code LIMIT 4"
            )
        ).all()
        others = connection.execute(
            text(
                "SELECT code FROM units WHERE code IN ('110105', '110108') "
                "OR code IN (SELECT min(code) FROM units WHERE kind IN ('department', 'utility') "
                "GROUP BY kind)"
            )
        ).scalars()
        categories = connection.execute(
            text("SELECT code FROM categories WHERE level = 3 ORDER BY code LIMIT 3")
        ).scalars()
        leads = [*others, streets[0].code, streets[-1].code]
        return Palette([(s.code, s.parent_code) for s in streets], leads, list(categories))


def _step(data: st.DataObject, palette: Palette, hours: float) -> Step:
    kind = data.draw(st.sampled_from(KINDS))
    payload: dict[str, str] = {}
    changes: dict[str, str | None] = {}
    if kind in ("dispatched", "redispatched", "returned", "reopened"):
        payload["unit"] = data.draw(st.sampled_from(palette.leads))
    if kind in ("dispatched", "redispatched"):
        # A dispatch hands the case to its unit, may correct the category, and a person's
        # dispatch to a place moves the case there (the keys the facts copy).
        if data.draw(st.booleans(), label="leads"):
            changes["lead_unit_code"] = payload["unit"]
        if data.draw(st.booleans(), label="category corrected"):
            changes["category_code"] = data.draw(st.sampled_from(palette.categories))
        if data.draw(st.booleans(), label="place moved"):
            street, district = data.draw(st.sampled_from(palette.streets))
            changes.update(district_code=district, street_code=street)
    if kind == "sla_breach":
        payload["deadline"] = data.draw(
            st.sampled_from(["acknowledge", "respond", "resolve", "extension"])
        )
    if kind == "survey_answered":
        payload["contacted"] = str(data.draw(st.booleans())).lower()
        payload["resolved"] = str(data.draw(st.booleans())).lower()
        payload["satisfaction"] = data.draw(st.sampled_from([s.value for s in Satisfaction]))
    if kind == "survey_unanswered":
        payload["attempts"] = "3"
    return Step(kind, hours, payload, changes)


def _add_random_case(engine: Engine, data: st.DataObject, palette: Palette, month: date) -> None:
    # From a few days before the month to 10 days after it: cases and callbacks on both sides.
    start = datetime.combine(month, datetime.min.time(), tzinfo=BEIJING)
    at = (
        start
        - timedelta(days=3)
        + timedelta(minutes=data.draw(st.integers(0, 40 * 24 * 60), label="accepted after"))
    )
    hours = data.draw(st.lists(st.floats(0.5, 24.0 * 20), max_size=9), label="hours")
    if data.draw(st.booleans(), label="in time order"):  # else clocks disagree: ids ≠ time
        hours.sort()
    steps = [_step(data, palette, h) for h in hours]
    street, district = data.draw(st.sampled_from(palette.streets))
    has_place = data.draw(st.booleans())
    add_case(
        engine,
        at=at,
        steps=steps,
        channel=data.draw(st.sampled_from(list(Channel))),
        district=district if has_place else None,
        street=street if has_place else None,
        unit=data.draw(st.one_of(st.none(), st.sampled_from(palette.leads))),
        category=data.draw(st.one_of(st.none(), st.sampled_from(palette.categories))),
    )


def _figures(engine: Engine, source: Source, period: Period, scope: Scope) -> list[Any]:
    return [
        [
            g.model_dump()
            for g in group_metrics(
                engine=engine,
                period=period,
                dimension=dimension,
                weights=WEIGHTS,
                scope=scope,
                source=source,
            )
        ]
        for dimension in Dimension
    ]


def _assert_facts_equal_events(engine: Engine, month: date, scopes: list[Scope]) -> None:
    periods = (
        period_for(PeriodKind.monthly, month, TIMEZONE),
        period_for(PeriodKind.weekly, month.replace(day=28), TIMEZONE),
    )
    for scope in scopes:
        for period in periods:
            expected = _figures(engine, Source.events, period, scope)
            assert _figures(engine, Source.facts, period, scope) == expected


def _fact_rows(engine: Engine) -> list[list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return [
            sorted(tuple(row) for row in connection.execute(select(table(model))))
            for model in (CaseFacts, CaseFactReturn, CaseEvaluation)
        ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_facts_give_the_figures_the_events_define(
    history_engine: Engine, palette: Palette, data: st.DataObject
) -> None:
    month = _month(next(_quarters) * 3)
    for _ in range(data.draw(st.integers(1, 8), label="cases")):
        _add_random_case(history_engine, data, palette, month)
    scopes = [CITY, unit_scope(engine=history_engine, unit_code="110105")]
    _assert_facts_equal_events(history_engine, month, scopes)
    kept = _fact_rows(history_engine)
    rebuild_facts(engine=history_engine, batch=data.draw(st.integers(1, 50), label="batch"))
    assert _fact_rows(history_engine) == kept
    _assert_facts_equal_events(history_engine, month, [CITY])


def _month(after: int) -> date:
    """The first of the month `after` months after October 2026."""
    index = 2026 * 12 + 9 + after
    return date(index // 12, index % 12 + 1, 1)


def _cli(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli_app, ["report", *args], env={"HOTLINE_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_rebuild_facts_from_the_command_line_restores_lost_facts(
    history_engine: Engine, palette: Palette
) -> None:
    add_case(history_engine, at=local("2026-10-02 10:00"), unit=palette.leads[0])
    kept = _fact_rows(history_engine)
    with history_engine.begin() as connection:
        for model in (CaseEvaluation, CaseFactReturn, CaseFacts):
            connection.execute(table(model).delete())
    done = _cli(history_engine, "rebuild-facts", "--batch", "7")
    assert done.exit_code == 0, done.stdout
    assert "facts rebuilt:" in done.stdout
    assert _fact_rows(history_engine) == kept
    again = _cli(history_engine, "rebuild-facts", "--since", "2026-10-20")
    assert again.exit_code == 0, again.stdout
    assert _fact_rows(history_engine) == kept
    _assert_facts_equal_events(history_engine, date(2026, 10, 1), [CITY])


def test_rebuild_facts_refuses_bad_input(history_engine: Engine) -> None:
    bad_day = _cli(history_engine, "rebuild-facts", "--since", "2026-13-01")
    assert bad_day.exit_code == 2 and "--since must be YYYY-MM-DD" in bad_day.stdout
    bad_batch = _cli(history_engine, "rebuild-facts", "--batch", "0")
    assert bad_batch.exit_code == 2 and "--batch must be at least 1" in bad_batch.stdout
