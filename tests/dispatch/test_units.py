"""Every leaf of the shipped catalog reaches a concrete unit wherever the request is, and
typical requests are dispatched on their own to the unit that must solve them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli.dispatch import app
from dispatch.location import LocationIndex
from dispatch.model import DispatchModel, train
from dispatch.service import DEFAULT_THRESHOLD, active_units, resolve_unit, suggest
from dispatch.training import CategoryIndex, catalog_examples, read_labelled_csv
from models.catalog import LEAF_LEVEL
from models.enums import UnitKind
from models.unit import Unit

LEAVES_TRAIN = Path(__file__).resolve().parent / "data" / "complaints_leaves_train.csv"
HEATING, WAGES, BUSES = "U-RL", "D-RSJ", "U-GJ"


@pytest.fixture(scope="module")
def index(engine: Engine) -> CategoryIndex:
    return CategoryIndex.from_engine(engine)


@pytest.fixture(scope="module")
def locations(engine: Engine) -> LocationIndex:
    return LocationIndex.from_engine(engine)


@pytest.fixture(scope="module")
def leaf_model(index: CategoryIndex) -> DispatchModel:
    """A leaf model, as the worker trains it: the catalog's phrasings plus labelled requests."""
    examples = catalog_examples(index, level=LEAF_LEVEL)
    return train(examples + read_labelled_csv(LEAVES_TRAIN, index, level=LEAF_LEVEL))


def _districts(engine: Engine) -> list[tuple[Unit, Unit]]:
    """Each district with its first street."""
    with Session(engine) as session:
        units = session.exec(select(Unit).order_by(col(Unit.code))).all()
    streets = {u.parent_code: u for u in reversed(units) if u.kind == UnitKind.street}
    return [(u, streets[u.code]) for u in units if u.kind == UnitKind.district]


def test_every_shipped_leaf_resolves_to_a_concrete_unit_in_each_of_the_16_districts(
    engine: Engine, index: CategoryIndex, locations: LocationIndex
) -> None:
    units = active_units(engine)
    leaves = [c for c in index.categories.values() if c.level == LEAF_LEVEL and c.active]
    districts = _districts(engine)
    assert len(districts) == 16 and len(leaves) > 600
    for district, street in districts:
        place = locations.resolve(f"北京市{district.name_zh}{street.name_zh}")
        assert (place.district_code, place.street_code) == (district.code, street.code)
        for leaf in leaves:
            found = resolve_unit(index, leaf.code, place, units)
            assert found.unit is not None, (leaf.code, district.name_zh, found.reason)
            unit = units[found.unit.code]
            if leaf.unit_kind == UnitKind.street:
                assert unit.code == street.code
            elif leaf.unit_kind == UnitKind.district:
                assert unit.code == district.code
            else:
                assert leaf.unit_code in (unit.code, unit.parent_code), leaf.code
                assert not unit.service_areas or district.code in unit.service_areas


def test_a_branch_is_chosen_by_the_district_and_the_city_level_unit_without_a_place(
    engine: Engine, index: CategoryIndex, locations: LocationIndex
) -> None:
    units = active_units(engine)
    outage = "16.03.001"  # 停电: the power company, a supply company per district
    in_xicheng = resolve_unit(index, outage, locations.resolve("西城区什刹海街道"), units)
    assert in_xicheng.unit is not None and in_xicheng.unit.code == "U-DL-CQ"  # 城区供电公司
    nowhere = resolve_unit(index, outage, None, units)
    assert nowhere.unit is not None and nowhere.unit.code == "U-DL"
    assert "no place given" in nowhere.reason


@pytest.mark.parametrize("department", ["D-RSJ", "D-SCJGJ", "D-WJW", "D-JW", "D-STHJJ"])
def test_a_department_with_district_branches_goes_to_the_branch_of_each_district(
    engine: Engine, index: CategoryIndex, locations: LocationIndex, department: str
) -> None:
    units = active_units(engine)
    leaves = [
        c.code
        for c in index.categories.values()
        if c.level == LEAF_LEVEL and c.active and c.unit_code == department
    ]
    assert len(leaves) >= 3, department
    for district, street in _districts(engine):
        place = locations.resolve(f"{district.name_zh}{street.name_zh}")
        branch = units[f"{department}-{district.code}"]
        assert branch.service_areas == [district.code] and branch.parent_code == department
        for leaf in leaves:
            found = resolve_unit(index, leaf, place, units)
            assert found.unit is not None and found.unit.code == branch.code, found.reason


def test_a_food_safety_complaint_in_haidian_goes_to_the_haidian_market_regulation_bureau(
    leaf_model: DispatchModel, engine: Engine, index: CategoryIndex, locations: LocationIndex
) -> None:
    result = suggest(
        text="在饭馆吃饭吃出了苍蝇，后厨很脏，厨师也不戴口罩",
        address="海淀区中关村街道",
        model=leaf_model,
        engine=engine,
        categories=index,
        locations=locations,
    )
    assert result.automatic, result.reason
    assert result.unit is not None, result.reason
    haidian_bureau = ("D-SCJGJ-110108", "北京市海淀区市场监督管理局")
    assert (result.unit.code, result.unit.name_zh) == haidian_bureau


@pytest.mark.parametrize(
    ("text", "address", "unit_code"),
    [
        ("小区暖气不热，室温只有十五度", "朝阳区望京街道", HEATING),
        ("公司已经拖欠我们三个月工资了，老板一直不发", "海淀区中关村街道", f"{WAGES}-110108"),
        ("公交车等了四十分钟都不来，司机到站不停", "丰台区卢沟桥街道", BUSES),
        ("我家门口那条路的路灯坏了好几天，晚上一片漆黑", "西城区什刹海街道", "110102012"),
    ],
)
def test_typical_requests_are_dispatched_on_their_own_to_the_right_unit(
    leaf_model: DispatchModel,
    engine: Engine,
    index: CategoryIndex,
    locations: LocationIndex,
    text: str,
    address: str,
    unit_code: str,
) -> None:
    result = suggest(
        text=text,
        address=address,
        model=leaf_model,
        engine=engine,
        categories=index,
        locations=locations,
    )
    assert result.threshold == DEFAULT_THRESHOLD == 0.95
    assert result.automatic, result.reason
    assert result.unit is not None and result.unit.code == unit_code, result.reason
    assert result.category_code is not None and result.category_code.count(".") == 2


def test_leaves_that_share_a_unit_dispatch_together_when_none_is_sure_alone(
    engine: Engine, index: CategoryIndex, locations: LocationIndex
) -> None:
    heating = [c for c in index.categories if c.startswith("16.05.")]
    examples = catalog_examples(index, level=LEAF_LEVEL)
    model = train([e for e in examples if e.label in heating or e.label == "18.05.003"])
    result = suggest(
        text="暖气",
        address="朝阳区望京街道",
        model=model,
        engine=engine,
        categories=index,
        locations=locations,
    )
    assert result.categories[0].probability < 0.95  # no heating leaf is sure on its own
    assert result.automatic, result.reason
    assert result.unit is not None and result.unit.code == HEATING
    assert result.unit_probability >= 0.95
    assert "sharing U-RL 北京热力集团" in result.reason and "all under 16.05" in result.reason
    assert result.category_code == "16.05"  # filed under what they have in common


def test_below_the_threshold_the_dispatcher_gets_the_likeliest_unit_and_its_total(
    leaf_model: DispatchModel, engine: Engine, index: CategoryIndex, locations: LocationIndex
) -> None:
    result = suggest(
        text="小区暖气不热，室温只有十五度",
        address="朝阳区望京街道",
        model=leaf_model,
        engine=engine,
        threshold=1.01,
        categories=index,
        locations=locations,
    )
    assert not result.automatic and result.unit is None
    assert "the likeliest unit, U-RL" in result.reason


def test_suggest_prints_json_for_scripts(leaf_model: DispatchModel, cli_settings: Path) -> None:
    path = cli_settings / "model.joblib"
    leaf_model.save(path)
    text, address = "小区暖气不热，室温只有十五度", "朝阳区望京街道"
    result = CliRunner().invoke(
        app, ["suggest", text, "--address", address, "--model", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["automatic"] is True and "16.05.001" in data["reason"]
    assert data["unit"] == {
        "code": "U-RL",
        "name_zh": "北京热力集团",
        "name_en": "Beijing District Heating Group",
        "kind": "utility",
    }
    top = data["categories"][0]
    assert top["code"] == "16.05.001" and top["probability"] >= 0.95
    assert data["place"]["street_code"] == "110105026" and data["place"]["confidence"]
    assert data["threshold"] == 0.95
