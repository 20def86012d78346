"""Catalog leaves name the unit responsible for them, and branches the places they serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli.catalog import app as catalog_app
from core.db import get_engine
from core.settings import get_settings
from models.catalog import CatalogFileError, load_catalog_file
from models.enums import UnitKind
from models.seed import seed
from models.unit import Category, Unit
from models.units import UnitsFileError, load_units_file

HEADER = (
    "code,parent_code,level,name_zh,name_en,unit_kind,unit_code,"
    "acknowledge_hours,respond_hours,resolve_working_days,examples\n"
)
UNITS_HEADER = "code,parent_code,kind,name_zh,name_en,latitude,longitude,service_areas\n"


def _write(tmp_path: Path, header: str, rows: str) -> Path:
    path = tmp_path / "file.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_every_shipped_department_and_utility_leaf_names_a_unit_of_its_kind(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        units = {unit.code: unit for unit in session.exec(select(Unit)).all()}
        leaves = session.exec(select(Category).where(col(Category.level) == 3)).all()
    named = [leaf for leaf in leaves if leaf.unit_kind in (UnitKind.department, UnitKind.utility)]
    assert len(named) > 200
    for leaf in leaves:
        if leaf in named:
            assert leaf.unit_code in units, leaf.code
            assert units[leaf.unit_code].kind == leaf.unit_kind, leaf.code
        else:
            assert leaf.unit_kind in (UnitKind.street, UnitKind.district, UnitKind.city)
            assert leaf.unit_code is None, leaf.code
    expected = {"16.05.001": "U-RL", "15.03.006": "D-RSJ", "06.07.002": "U-GJ"}
    assert {leaf.code: leaf.unit_code for leaf in leaves if leaf.code in expected} == expected


def test_the_power_company_has_a_supply_company_for_every_district(engine: Engine) -> None:
    with Session(engine) as session:
        districts = {u.code for u in session.exec(select(Unit).where(Unit.kind == "district"))}
        branches = session.exec(select(Unit).where(Unit.parent_code == "U-DL")).all()
    served = [area for branch in branches for area in branch.service_areas]
    assert sorted(served) == sorted(districts)  # each district exactly once
    urban = next(branch for branch in branches if branch.code == "U-DL-CQ")
    assert (urban.name_zh, urban.service_areas) == ("国网北京城区供电公司", ["110101", "110102"])


def test_catalog_load_takes_the_unit_column_and_checks_it(
    own_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path,
        HEADER,
        "16.05.101,16.05,3,室温检测,Room temperature checks,utility,U-RL,2,,,室温检测\n"
        "15.03.101,15.03,3,欠薪投诉,Unpaid wages,department,D-RSJ,,,,老板不发工资\n",
    )
    monkeypatch.setenv("HOTLINE_DATABASE_URL", own_database)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(catalog_app, ["load", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    with Session(get_engine(own_database)) as session:
        codes = {c.code: c.unit_code for c in session.exec(select(Category)).all()}
    assert (codes["16.05.101"], codes["15.03.101"]) == ("U-RL", "D-RSJ")


def test_a_wrong_unit_code_writes_nothing_and_names_the_line(
    own_database: str, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        HEADER,
        "16.05.101,16.05,3,室温检测,Room temperature checks,utility,U-NOPE,,,,a\n"
        "16.05.102,16.05,3,热力收费,Heating bills,utility,D-RSJ,,,,a\n"
        "16.05.103,16.05,3,楼道照明,Stairway lights,street,U-RL,,,,a\n"
        "16.05.104,16.05,3,热力维修,Heating repairs,utility,,,,,a\n"
        "16.05,16,2,供暖,Heating,,U-RL,,,,\n",
    )
    with pytest.raises(CatalogFileError) as caught:
        load_catalog_file(engine=get_engine(own_database), path=path)
    assert [str(problem) for problem in caught.value.problems] == [
        "line 2: unit_code 'U-NOPE' is not a stored unit (`hotline units load`)",
        "line 3: unit_code 'D-RSJ' is a department, not a utility",
        "line 4: a street leaf goes to the place's street: leave unit_code empty",
        "line 5: unit_code is missing (a utility leaf names its unit)",
        "line 6: only a leaf (level 3) names a unit_code",
    ]


def test_units_load_takes_service_areas_and_refuses_unknown_places(
    own_database: str, tmp_path: Path
) -> None:
    engine = get_engine(own_database)
    good = _write(
        tmp_path,
        UNITS_HEADER,
        "U-RL-E,U-RL,utility,热力东部分公司,Heating East,,,110105 | 110112\n",
    )
    load_units_file(engine=engine, path=good)
    with Session(engine) as session:
        branch = session.get(Unit, "U-RL-E")
    assert branch is not None and branch.service_areas == ["110105", "110112"]
    bad = _write(tmp_path, UNITS_HEADER, "U-RL-W,U-RL,utility,热力西部,Heating West,,,999\n")
    with pytest.raises(UnitsFileError, match=r"service areas \['999'\] of 'U-RL-W'"):
        load_units_file(engine=engine, path=bad)


def test_seeding_again_gives_older_leaves_their_unit_but_leaves_a_changed_kind_alone(
    own_database: str,
) -> None:
    engine = get_engine(own_database)
    heating, wages = "16.05.001", "15.01.001"
    with Session(engine) as session:
        shipped = {c.code: c for c in session.exec(select(Category)).all()}
        assert shipped[heating].unit_code and shipped[wages].unit_code
        expected = shipped[heating].unit_code
        # As an installation seeded before leaves named units: no unit; staff changed one kind.
        for code in (heating, wages):
            shipped[code].unit_code = None
            session.add(shipped[code])
        shipped[wages].unit_kind = UnitKind.district
        session.commit()
    seed(engine=engine)
    with Session(engine) as session:
        stored = {c.code: c for c in session.exec(select(Category)).all()}
    assert stored[heating].unit_code == expected
    assert stored[wages].unit_code is None and stored[wages].unit_kind == UnitKind.district
