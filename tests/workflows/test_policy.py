"""Every catalog leaf gives a case real deadlines, for normal and urgent requests alike."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError

from core.settings import Settings
from models.enums import Urgency
from models.unit import Category
from workflows.activities import CaseActivities
from workflows.calendar import load_calendar
from workflows.types import PolicyRequest


@pytest.fixture(scope="module")
def activities(engine: Engine, settings: Settings) -> CaseActivities:
    return CaseActivities(engine=engine, settings=settings, calendar=load_calendar())


def _leaves(engine: Engine) -> list[Category]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Category).where(Category.level == 3, col(Category.active).is_(True))
            ).all()
        )


def test_every_leaf_has_a_unit_kind_and_positive_deadlines_for_both_urgencies(
    activities: CaseActivities, engine: Engine
) -> None:
    leaves = _leaves(engine)
    assert len(leaves) >= 300
    for leaf in leaves:
        assert leaf.unit_kind is not None, leaf.code
        normal = activities.load_policy(PolicyRequest(leaf.code, Urgency.normal))
        urgent = activities.load_policy(PolicyRequest(leaf.code, Urgency.urgent))
        for policy in (normal, urgent):
            assert policy.acknowledge_hours > 0 and policy.respond_hours > 0, leaf.code
            assert policy.resolve_working_days > 0, leaf.code
        assert urgent.acknowledge_hours <= normal.acknowledge_hours, leaf.code
        assert urgent.respond_hours <= normal.respond_hours, leaf.code
        assert urgent.resolve_working_days <= normal.resolve_working_days, leaf.code


def test_a_category_tighter_than_the_urgent_defaults_keeps_its_own_deadline(
    activities: CaseActivities, engine: Engine, settings: Settings
) -> None:
    tight = [
        leaf
        for leaf in _leaves(engine)
        if leaf.acknowledge_hours and leaf.acknowledge_hours < settings.acknowledge_hours_urgent
    ]
    assert tight, "the catalog has leaves (gas leaks) tighter than the urgent default"
    for leaf in tight:
        urgent = activities.load_policy(PolicyRequest(leaf.code, Urgency.urgent))
        assert urgent.acknowledge_hours == leaf.acknowledge_hours


def test_an_unknown_category_is_refused(activities: CaseActivities) -> None:
    with pytest.raises(ApplicationError, match="unknown category 'no-such'"):
        activities.load_policy(PolicyRequest("no-such", Urgency.normal))
