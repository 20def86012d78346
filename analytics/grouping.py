"""What a case counts for: the group key of each dimension, read from `cases` (and the lead
unit), shared by the fact-based figures and the event-based definitions they must equal.

The same keys are copied onto `case_facts` (analytics/facts.py `KEYS`), so each function takes
the table to read them from: `cases` for the definitions, `case_facts` and `case_evaluations`
for the rankings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.sql.elements import ColumnElement

from analytics.dimensions import Dimension
from analytics.sql import columns, table
from models import Case, CaseEvaluation, CaseFacts, Unit
from models.enums import UnitKind

cases = columns(Case)
units_c = columns(Unit)
# A table that holds the keys, under the same column names.
KeyTable = type[Case] | type[CaseFacts] | type[CaseEvaluation]


# The lead unit, joined when it decides a district or street key (an outer join: a case with
# no lead unit, or one not in `units`, keeps its own place). A join, not a subquery per row:
# PostgreSQL runs a correlated subquery once per case, seconds over a million.
lead_place = table(Unit).alias("lead_place")


def group_key(dimension: Dimension, source: KeyTable = Case) -> ColumnElement[Any]:
    """The key a case counts for; the from-clause must be `cases_from(dimension, source)`."""
    cases = columns(source)
    street, district = UnitKind.street.value, UnitKind.district.value
    keys: dict[Dimension, Any] = {
        Dimension.unit: cases.lead_unit_code,
        Dimension.district: func.coalesce(
            case(
                (lead_place.c.kind == district, lead_place.c.code),
                (lead_place.c.kind == street, lead_place.c.parent_code),
            ),
            cases.district_code,
        ),
        Dimension.street: func.coalesce(
            case((lead_place.c.kind == street, lead_place.c.code)), cases.street_code
        ),
        Dimension.department: cases.lead_unit_code,
        Dimension.category: cases.category_code,
        Dimension.channel: cases.channel,
    }
    return keys[dimension]


def cases_from(dimension: Dimension, source: KeyTable = Case) -> Any:
    """`source` with what its key needs: the lead unit when it is a place (district, street),
    or only cases led by departments and utilities (department)."""
    cases = columns(source)
    if dimension in (Dimension.district, Dimension.street):
        return table(source).outerjoin(lead_place, lead_place.c.code == cases.lead_unit_code)
    if dimension is not Dimension.department:
        return table(source)
    return table(source).join(
        table(Unit),
        and_(
            units_c.code == cases.lead_unit_code,
            units_c.kind.in_([UnitKind.department.value, UnitKind.utility.value]),
        ),
    )


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)
