"""Seed the reference data a fresh installation needs: units and the category catalog.

Seeding only inserts rows that are missing, so running it at every start-up is harmless and
never overwrites what staff changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import session_scope
from models.catalog import check_tree, read_catalog_rows
from models.unit import Category, Unit
from models.units import parents_first, read_unit_rows

SEED_DIR = Path(__file__).with_name("seed_data")


@dataclass(frozen=True)
class SeedReport:
    units_added: int
    categories_added: int


def seed(*, engine: Engine) -> SeedReport:
    with session_scope(engine) as session:
        units = _insert_missing(session, Unit, load_units(SEED_DIR / "units.csv"))
        shipped = load_categories(SEED_DIR / "catalog.csv")
        categories = _insert_missing(session, Category, shipped)
        _fill_unit_codes(session, shipped)
    return SeedReport(units_added=units, categories_added=categories)


def load_units(path: Path) -> list[Unit]:
    """The shipped units, validated like any unit file and ordered parents first."""
    rows = read_unit_rows(path)
    return [row.to_unit() for row in parents_first(rows, path=path, existing={})]


def load_categories(path: Path) -> list[Category]:
    """The shipped catalog, validated like any catalog file and ordered parents first."""
    rows = read_catalog_rows(path)
    check_tree(rows, path=path, stored={}, replace=True)  # the file is a whole tree
    return [row.to_category() for row in sorted(rows, key=lambda row: (row.level, row.code))]


def _fill_unit_codes(session: Session, shipped: list[Category]) -> None:
    """Give a stored leaf the unit the shipped catalog names when it has none and its kind of
    unit is still the shipped one: installations seeded before leaves named their unit then
    dispatch departments and utilities too, and a kind staff changed is left alone."""
    named = {row.code: row for row in shipped if row.unit_code}
    units = set(session.exec(select(Unit.code)).all())
    for category in session.exec(select(Category).where(Category.unit_code.is_(None))).all():  # type: ignore[union-attr]
        row = named.get(category.code)
        if row and category.unit_kind == row.unit_kind and row.unit_code in units:
            category.unit_code = row.unit_code
            session.add(category)


def _insert_missing(
    session: Session, table: type[Unit] | type[Category], rows: list[Unit] | list[Category]
) -> int:
    existing = set(session.exec(select(table.code)).all())
    added = [row for row in rows if row.code not in existing]
    for row in added:
        session.add(row)
        session.flush()  # parents before children: the rows come parents first
    return len(added)
