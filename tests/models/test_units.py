"""The shipped Beijing units, and loading units from a file: validated whole, then upserted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.enums import UnitKind
from models.unit import Unit
from models.units import UnitsFileError, load_units_file

HEADER = "code,parent_code,kind,name_zh,name_en,latitude,longitude\n"


def _count(engine: Engine, kind: UnitKind) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).where(Unit.kind == kind)).one()


def _get(engine: Engine, code: str) -> Unit | None:
    with Session(engine) as session:
        return session.get(Unit, code)


def test_the_seed_has_beijing_its_16_districts_and_343_streets(engine: Engine) -> None:
    assert _count(engine, UnitKind.city) == 1
    assert _count(engine, UnitKind.district) == 16
    assert _count(engine, UnitKind.street) == 343


def test_the_seed_has_the_city_departments_and_utilities(engine: Engine) -> None:
    assert _count(engine, UnitKind.department) >= 15
    assert _count(engine, UnitKind.utility) >= 7
    gas = _get(engine, "U-RQ")
    assert gas is not None
    assert (gas.name_zh, gas.parent_code) == ("北京燃气集团", "110000")


@pytest.mark.parametrize(
    ("code", "parent", "name_zh", "name_en"),
    [
        ("110105026", "110105", "望京街道", "Wangjing Subdistrict"),
        ("110108005", "110108", "八里庄街道", "Balizhuang Subdistrict"),
        ("110101007", "110101", "朝阳门街道", "Chaoyangmen Subdistrict"),
        ("110105033", "110105", "常营回族乡", "Changying Hui Ethnic Township"),
        ("110119100", "110119", "延庆镇", "Yanqing Town"),
    ],
)
def test_streets_hang_under_their_district(
    engine: Engine, code: str, parent: str, name_zh: str, name_en: str
) -> None:
    street = _get(engine, code)
    assert street is not None
    assert (street.parent_code, street.kind, street.name_zh, street.name_en) == (
        parent,
        UnitKind.street,
        name_zh,
        name_en,
    )


def test_districts_have_approximate_centroids_and_streets_none(engine: Engine) -> None:
    chaoyang, wangjing = _get(engine, "110105"), _get(engine, "110105026")
    assert chaoyang is not None and wangjing is not None
    assert chaoyang.latitude == pytest.approx(39.92, abs=0.02)
    assert chaoyang.longitude == pytest.approx(116.44, abs=0.02)
    assert (wangjing.latitude, wangjing.longitude) == (None, None)


def test_loading_a_file_inserts_children_after_parents_that_come_later(
    engine: Engine, tmp_path: Path
) -> None:
    prefix = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER
        + f"{prefix}-B,{prefix}-A,department,测试处,Test Office,,\n"
        + f"{prefix}-A,110000,department,测试局,Test Bureau,39.9,116.4\n",
        encoding="utf-8",
    )
    report = load_units_file(engine=engine, path=path)
    assert (report.added, report.updated, report.unchanged) == (2, 0, 0)
    office = _get(engine, f"{prefix}-B")
    assert office is not None
    assert (office.parent_code, office.name_en) == (f"{prefix}-A", "Test Office")


def test_loading_again_updates_what_changed_and_keeps_what_is_not_given(
    engine: Engine, tmp_path: Path
) -> None:
    code = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "units.csv"
    path.write_text(HEADER + f"{code},110000,department,旧名,Old Name,39.9,116.4\n", "utf-8")
    load_units_file(engine=engine, path=path)
    path.write_text(HEADER + f"{code},110105,utility,新名,,,\n", "utf-8")
    report = load_units_file(engine=engine, path=path)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    unit = _get(engine, code)
    assert unit is not None
    assert (unit.name_zh, unit.name_en, unit.kind, unit.parent_code, unit.latitude) == (
        "新名",
        "Old Name",
        UnitKind.utility,
        "110105",
        39.9,
    )
    assert load_units_file(engine=engine, path=path).unchanged == 1


def test_a_yaml_file_loads_like_a_csv(engine: Engine, tmp_path: Path) -> None:
    code = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "units.yaml"
    path.write_text(
        f"units:\n  - code: {code}\n    parent_code: 110000\n    kind: utility\n"
        "    name_zh: 测试公司\n    latitude: 40.0\n    longitude: 116.5\n",
        encoding="utf-8",
    )
    assert load_units_file(engine=engine, path=path).added == 1
    unit = _get(engine, code)
    assert unit is not None
    assert (unit.parent_code, unit.longitude) == ("110000", 116.5)


def test_an_invalid_file_writes_nothing_and_names_every_bad_row(
    engine: Engine, tmp_path: Path
) -> None:
    prefix = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + f"{prefix}-1,110000,department,好的,Fine,,\n"
        + f"{prefix}-2,110000,bureau,种类错,,,\n"
        + f"{prefix}-3,NOPE,department,无上级,,,\n"
        + f"{prefix}-1,110000,department,重复,,,\n"
        + f"{prefix}-4,110000,department,坐标错,,91,116.4\n"
        + f"{prefix}-5,110000,department,半个坐标,,39.9,\n",
        encoding="utf-8",
    )
    with pytest.raises(UnitsFileError) as raised:
        load_units_file(engine=engine, path=path)
    assert str(raised.value).splitlines() == [
        f"{path}: row 2 (line 3): unknown kind 'bureau' "
        "(expected one of city, district, street, department, utility)",
        f"{path}: row 4 (line 5): duplicate code '{prefix}-1' (first in row 1)",
        f"{path}: row 5 (line 6): latitude 91.0 is outside -90..90",
        f"{path}: row 6 (line 7): latitude and longitude must be given together",
    ]
    assert _get(engine, f"{prefix}-1") is None


def test_an_unknown_parent_writes_nothing_and_names_the_row(engine: Engine, tmp_path: Path) -> None:
    prefix = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "orphan.csv"
    path.write_text(
        HEADER
        + f"{prefix}-1,110000,department,好的,,,\n"
        + f"{prefix}-2,NOPE,department,无上级,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(UnitsFileError) as raised:
        load_units_file(engine=engine, path=path)
    assert str(raised.value) == (
        f"{path}: row 2 (line 3): parent 'NOPE' of '{prefix}-2' is neither in the file nor stored"
    )
    assert _get(engine, f"{prefix}-1") is None


def test_a_cycle_of_parents_is_refused(engine: Engine, tmp_path: Path) -> None:
    prefix = f"T{uuid.uuid4().hex[:8]}"
    path = tmp_path / "cycle.csv"
    path.write_text(
        HEADER
        + f"{prefix}-1,{prefix}-2,department,甲,,,\n"
        + f"{prefix}-2,{prefix}-1,department,乙,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(UnitsFileError, match=r"row 1 \(line 2\): .* is its own ancestor"):
        load_units_file(engine=engine, path=path)
