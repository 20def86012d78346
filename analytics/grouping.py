"""What a case counts for: the group key of each dimension, read from `cases` (and the lead
unit), shared by the fact-based figures and the event-based definitions they must equal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from analytics.dimensions import Dimension
from analytics.sql import columns, table
from models import Case, Unit
from models.enums import UnitKind

cases = columns(Case)
units_c = columns(Unit)


def group_key(dimension: Dimension) -> ColumnElement[Any]:
    keys: dict[Dimension, Any] = {
        Dimension.unit: cases.lead_unit_code,
        Dimension.district: func.coalesce(_lead_place(UnitKind.district), cases.district_code),
        Dimension.street: func.coalesce(_lead_place(UnitKind.street), cases.street_code),
        Dimension.department: cases.lead_unit_code,
        Dimension.category: cases.category_code,
        Dimension.channel: cases.channel,
    }
    return keys[dimension]


def _lead_place(kind: UnitKind) -> ColumnElement[Any]:
    """The district or street the lead unit is (a street's district for districts), when the
    lead unit is a place; the case's own place counts otherwise (a department, none yet)."""
    lead = table(Unit).alias("lead_place")
    if kind is UnitKind.street:
        value: Any = case((lead.c.kind == UnitKind.street.value, lead.c.code))
    else:
        value = case(
            (lead.c.kind == UnitKind.district.value, lead.c.code),
            (lead.c.kind == UnitKind.street.value, lead.c.parent_code),
        )
    query = select(value).where(lead.c.code == cases.lead_unit_code)
    return query.scalar_subquery()


def cases_from(dimension: Dimension) -> Any:
    """`cases`, joined to the lead unit when only departments and utilities count."""
    if dimension is not Dimension.department:
        return table(Case)
    return table(Case).join(
        table(Unit),
        and_(
            units_c.code == cases.lead_unit_code,
            units_c.kind.in_([UnitKind.department.value, UnitKind.utility.value]),
        ),
    )


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)
