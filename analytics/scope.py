"""Whose cases a report counts: the whole city, or one unit and every unit under it.

A unit handler's reports are built from their own unit's cases only (the cases it leads, and
the `returned` events it made), so no figure, text or example of another unit is in them.
Supervisors, dispatchers and admins read the city's reports, or a unit's when they ask for it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from analytics.sql import columns
from models import Unit

units = columns(Unit)

_SAFE_NAME = re.compile(r"^[0-9A-Za-z._-]{1,32}$")


@dataclass(frozen=True)
class Scope:
    """`unit` None: the city; else the unit and its sub-units (`units`, the unit included)."""

    unit: str | None = None
    units: frozenset[str] = frozenset()

    @property
    def city(self) -> bool:
        return self.unit is None

    @property
    def key(self) -> str:
        """A file name for the scope: `city` or `unit-<code>` (hashed if the code is odd)."""
        if self.unit is None:
            return "city"
        if _SAFE_NAME.match(self.unit) and ".." not in self.unit:
            return f"unit-{self.unit}"
        return "unit-" + hashlib.sha256(self.unit.encode()).hexdigest()[:16]

    def where(self, unit_column: Any) -> list[ColumnElement[bool]]:
        """The condition that keeps a query to the scope's units (none for the city)."""
        return [] if self.unit is None else [unit_column.in_(sorted(self.units))]

    def holds(self, unit_code: str | None) -> bool:
        return self.unit is None or unit_code in self.units


CITY = Scope()


class UnknownUnit(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"no unit with the code '{self.code}'"


def unit_scope(*, engine: Engine, unit_code: str) -> Scope:
    """The unit and every unit below it in the unit tree (streets under a district, …)."""
    with engine.connect() as connection:
        rows = connection.execute(select(units.code, units.parent_code)).all()
    parents = {row.code: row.parent_code for row in rows}
    if unit_code not in parents:
        raise UnknownUnit(unit_code)
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    found: set[str] = set()
    pending = [unit_code]
    while pending:
        code = pending.pop()
        if code not in found:
            found.add(code)
            pending.extend(children.get(code, []))
    return Scope(unit=unit_code, units=frozenset(found))
