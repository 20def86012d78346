"""department district branches: market regulation, health, education and environment leaves
go to the department, and dispatch picks its district bureau by the place

The shipped catalog now sends these 99 leaves to a city department (`unit_kind` department,
`unit_code` D-SCJGJ, D-WJW, D-JW or D-STHJJ) instead of the district government, and ships
16 district bureaus of each (`D-SCJGJ-110108` 北京市海淀区市场监督管理局, …) with the district
as their service area. Fresh installations get both from `hotline db seed`. An existing one
gets the bureaus from `hotline db seed` (`hotline up` runs it), and the leaves here, once:
only a leaf still as shipped before (kind district, no unit) moves, and only when the
department is stored; a leaf staff changed, or a later staff change, is left alone.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The leaves as the shipped catalog of this revision moved them (frozen: not read from the file).
MOVED: dict[str, tuple[str, ...]] = {
    "D-SCJGJ": (
        *(f"11.04.00{n}" for n in range(1, 10)),
        "11.05.001",
        "11.05.002",
        "11.05.003",
        "11.05.006",
        *(f"12.04.00{n}" for n in range(1, 5)),
        *(f"20.01.00{n}" for n in range(1, 6)),
        *(f"20.02.00{n}" for n in range(1, 4)),
        *(f"20.03.00{n}" for n in range(1, 5)),
        *(f"20.04.00{n}" for n in range(1, 4)),
        "20.05.001",
    ),
    "D-WJW": (
        *(f"12.01.00{n}" for n in range(1, 4)),
        "12.02.001",
        *(f"12.03.00{n}" for n in (1, 2, 3, 4, 6, 7)),
        *(f"12.05.00{n}" for n in range(1, 5)),
        *(f"12.06.00{n}" for n in (1, 3, 4, 5, 6, 7, 8)),
    ),
    "D-JW": (
        *(f"14.01.00{n}" for n in range(1, 6)),
        *(f"14.02.00{n}" for n in (1, 2, 3, 4, 5, 6, 7, 9)),
        *(f"14.03.00{n}" for n in range(1, 4)),
        *(f"14.04.00{n}" for n in (1, 2, 3, 5)),
        *(f"14.05.00{n}" for n in range(1, 4)),
        "14.07.001",
        "14.07.002",
    ),
    "D-STHJJ": (
        *(f"04.01.00{n}" for n in (1, 2, 4, 6, 7, 8)),
        *(f"04.02.00{n}" for n in (2, 4, 5, 6, 7, 8, 9)),
        "04.02.010",
        "04.02.011",
        *(f"04.03.00{n}" for n in range(1, 5)),
        "04.04.001",
    ),
}


def upgrade() -> None:
    move = sa.text(
        "UPDATE categories SET unit_kind = 'department', unit_code = :unit "
        "WHERE code IN :codes AND unit_kind = 'district' AND unit_code IS NULL "
        "AND EXISTS (SELECT 1 FROM units WHERE units.code = :unit)"
    ).bindparams(sa.bindparam("codes", expanding=True))
    for unit, codes in MOVED.items():
        op.get_bind().execute(move, {"unit": unit, "codes": list(codes)})


def downgrade() -> None:
    back = sa.text(
        "UPDATE categories SET unit_kind = 'district', unit_code = NULL "
        "WHERE code IN :codes AND unit_kind = 'department' AND unit_code = :unit"
    ).bindparams(sa.bindparam("codes", expanding=True))
    for unit, codes in MOVED.items():
        op.get_bind().execute(back, {"unit": unit, "codes": list(codes)})
