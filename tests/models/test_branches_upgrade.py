"""An installation from before the district bureaus of 市场监管局, 卫健委, 教委 and 生态环境局
gets them from `hotline db seed` (once, however often it runs) and its untouched leaves from
migration 0015; a leaf staff changed keeps their choice."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from core.db import make_engine
from models import migrate
from models.seed import seed
from models.unit import Category, Unit
from tests.utils.databases import fresh_database

DEPARTMENTS = ("D-SCJGJ", "D-WJW", "D-JW", "D-STHJJ")
FOOD, SCHOOL_BULLYING, AIR = "20.03.001", "14.02.006", "04.02.006"


def _moved() -> list[str]:
    """The leaves migration 0015 moves, as it lists them."""
    path = migrate.VERSIONS_DIR / "0015_department_district_branches.py"
    spec = importlib.util.spec_from_file_location("revision_0015", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [code for codes in module.MOVED.values() for code in codes]


def test_an_older_installation_gets_the_bureaus_and_the_leaves_once(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url, "0013")
        engine = make_engine(url)
        try:
            seed(engine=engine)
            with Session(engine) as session:
                # As before: no bureaus; the leaves went to the district government; staff
                # had sent air pollution to the street.
                session.exec(delete(Unit).where(col(Unit.parent_code).in_(DEPARTMENTS)))  # type: ignore[call-overload]
                session.exec(
                    sa.update(Category)
                    .where(col(Category.code).in_(_moved()))
                    .values(unit_kind="district", unit_code=None)
                )
                session.exec(
                    sa.update(Category)
                    .where(col(Category.code) == AIR)
                    .values(unit_kind="street", unit_code=None)
                )
                session.commit()
            migrate.upgrade(url)
            first, again = seed(engine=engine), seed(engine=engine)
            with Session(engine) as session:
                leaves = {c.code: c for c in session.exec(select(Category)).all()}
                branches = session.exec(
                    select(Unit).where(col(Unit.parent_code).in_(DEPARTMENTS))
                ).all()
        finally:
            engine.dispose()
    assert (first.units_added, again.units_added) == (64, 0)
    assert len(branches) == 64 and {b.service_areas[0][:4] for b in branches} == {"1101"}
    assert len(_moved()) == 99
    assert (leaves[FOOD].unit_kind, leaves[FOOD].unit_code) == ("department", "D-SCJGJ")
    assert leaves[SCHOOL_BULLYING].unit_code == "D-JW"
    assert (leaves[AIR].unit_kind, leaves[AIR].unit_code) == ("street", None)  # staff's choice
