"""A worker reads the units once per change, not per case, and still sees every change at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dispatch.service import UnitCache, active_units
from models.unit import Unit

BRANCH = "D-RSJ-110105"  # 朝阳区人力资源和社会保障局: a branch of the city bureau


@pytest.fixture
def restored(engine: Engine) -> Iterator[None]:
    """Puts the branch back as it was, for the tests that share the session's database."""
    with Session(engine) as session:
        before = session.get(Unit, BRANCH)
        assert before is not None
        active, areas = before.active, list(before.service_areas)
    yield
    with Session(engine) as session:
        unit = session.get(Unit, BRANCH)
        assert unit is not None
        unit.active, unit.service_areas = active, areas
        session.add(unit)
        session.commit()


def _set(engine: Engine, **values: object) -> None:
    with Session(engine) as session:
        unit = session.get(Unit, BRANCH)
        assert unit is not None
        for name, value in values.items():
            setattr(unit, name, value)
        session.add(unit)
        session.commit()


def test_the_cache_answers_the_same_units_until_a_row_changes(
    engine: Engine, restored: None
) -> None:
    cache = UnitCache(engine)
    first = cache.current()
    assert cache.current() is first  # nothing changed: not built again
    assert first.keys() == active_units(engine).keys()
    assert BRANCH in {b.code for b in first.branches["D-RSJ"]} and first.cities

    _set(engine, active=False)
    retired = cache.current()
    assert retired is not first and BRANCH not in retired
    assert all(b.code != BRANCH for b in retired.branches["D-RSJ"])

    _set(engine, active=True, service_areas=["110105", "110108"])
    moved = cache.current()
    assert BRANCH in moved and moved[BRANCH].service_areas == ["110105", "110108"]
