"""Seed the reference data a fresh installation needs: units and the category catalog.

Seeding only inserts rows that are missing, so running it at every start-up is harmless and
never overwrites what staff changed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.db import session_scope
from models.enums import UnitKind
from models.unit import Category, Unit

SEED_DIR = Path(__file__).with_name("seed_data")


@dataclass(frozen=True)
class SeedReport:
    units_added: int
    categories_added: int


def seed(*, engine: Engine) -> SeedReport:
    with session_scope(engine) as session:
        units = _insert_missing(session, Unit, load_units(SEED_DIR / "units.csv"))
        categories = _insert_missing(
            session, Category, load_categories(SEED_DIR / "categories.csv")
        )
    return SeedReport(units_added=units, categories_added=categories)


def load_units(path: Path) -> list[Unit]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Unit(
                code=row["code"],
                parent_code=row["parent_code"] or None,
                kind=UnitKind(row["kind"]),
                name_zh=row["name_zh"],
                name_en=row["name_en"],
            )
            for row in csv.DictReader(handle)
        ]


def load_categories(path: Path) -> list[Category]:
    """Number a `level1,level2,level3` table by position into a code tree, parents first."""
    codes: dict[tuple[str, ...], str] = {}
    categories: list[Category] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            path_names = (row["level1"].strip(), row["level2"].strip(), row["level3"].strip())
            for level in (1, 2, 3):
                key = path_names[:level]
                if key in codes:
                    continue
                parent = codes.get(key[:-1]) if level > 1 else None
                siblings = sum(1 for k in codes if len(k) == level and k[:-1] == key[:-1])
                width = 3 if level == 3 else 2
                code = f"{parent}.{siblings + 1:0{width}d}" if parent else f"{siblings + 1:02d}"
                codes[key] = code
                categories.append(
                    Category(code=code, level=level, parent_code=parent, name_zh=key[-1])
                )
    return categories


def _insert_missing(
    session: Session, table: type[Unit] | type[Category], rows: list[Unit] | list[Category]
) -> int:
    existing = set(session.exec(select(table.code)).all())
    added = [row for row in rows if row.code not in existing]
    for row in added:
        session.add(row)
        session.flush()  # parents before children: the rows come parents first
    return len(added)
