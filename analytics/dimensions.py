"""What the figures are grouped and ranked by; a module of its own so the CLI can offer the
choices without importing the SQL behind them."""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    """What a table is grouped by; `department` is the lead unit when it is not territorial."""

    unit = "unit"
    district = "district"
    street = "street"
    department = "department"
    category = "category"
    channel = "channel"


RANKED = (Dimension.district, Dimension.street, Dimension.department)
