"""The shipped bilingual catalog, and loading a catalog file: validated whole, then upserted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models.catalog import (
    CatalogFileError,
    catalog_tree,
    load_catalog_file,
    search_categories,
)
from models.enums import UnitKind
from models.seed import seed
from models.unit import Category

HEADER = (
    "code,parent_code,level,name_zh,name_en,unit_kind,"
    "acknowledge_hours,respond_hours,resolve_working_days,examples\n"
)


def _categories(engine: Engine, *, level: int | None = None) -> list[Category]:
    with Session(engine) as session:
        query = select(Category).order_by(col(Category.code))
        if level is not None:
            query = query.where(Category.level == level)
        return list(session.exec(query).all())


def _get(engine: Engine, code: str) -> Category:
    with Session(engine) as session:
        category = session.get(Category, code)
    assert category is not None, code
    return category


def _snapshot(engine: Engine) -> list[tuple[object, ...]]:
    return [
        (c.code, c.name_zh, c.name_en, c.unit_kind, c.acknowledge_hours, c.examples, c.active)
        for c in _categories(engine)
    ]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_the_seed_has_over_300_active_leaves_each_with_english_name_unit_kind_and_examples(
    engine: Engine,
) -> None:
    leaves = [leaf for leaf in _categories(engine, level=3) if leaf.active]
    assert len(leaves) >= 300
    incomplete = [
        leaf.code
        for leaf in leaves
        if not leaf.name_en or leaf.unit_kind is None or not 2 <= len(leaf.examples) <= 4
    ]
    assert incomplete == []


def test_every_area_and_group_has_an_english_name(engine: Engine) -> None:
    assert [c.code for c in _categories(engine) if c.level < 3 and not c.name_en] == []


@pytest.mark.parametrize(
    ("code", "parent", "name_zh", "name_en"),
    [
        ("01", None, "城乡建设", "Urban and rural construction"),
        ("01.01.001", "01.01", "事故处理", "Accident handling"),
        ("01.02.008", "01.02", "冬季采暖", "Winter heating"),
        ("06.03.001", "06.03", "出租车管理", "Taxi management"),
        ("13.08.009", "13.08", "消防安全", "Fire safety"),
        ("15", None, "劳动和社会保障", "Labour and social security"),
        ("15.09.006", "15.09", "病退及提前退休人员待遇", "Benefits for sick and early retirees"),
    ],
)
def test_the_teddy_rows_keep_the_codes_they_were_seeded_with(
    engine: Engine, code: str, parent: str | None, name_zh: str, name_en: str
) -> None:
    category = _get(engine, code)
    assert (category.parent_code, category.name_zh, category.name_en) == (
        parent,
        name_zh,
        name_en,
    )


@pytest.mark.parametrize(
    ("field", "code", "name_zh"),
    [
        ("urban management", "18", "城市管理"),
        ("housing", "19", "住房"),
        ("transport", "06", "交通运输"),
        ("environment", "04", "环境保护"),
        ("market regulation", "20", "市场监管"),
        ("labour and social security", "15", "劳动和社会保障"),
        ("education", "14", "教育文体"),
        ("health", "12", "卫生计生"),
        ("public safety", "17", "公共安全"),
        ("utilities", "16", "公用事业"),
    ],
)
def test_the_level_1_areas_cover_the_fields_of_a_city_hotline(
    engine: Engine, field: str, code: str, name_zh: str
) -> None:
    area = _get(engine, code)
    assert (area.level, area.name_zh) == (1, name_zh)
    assert field.split()[0] in area.name_en.lower()


def test_utility_outages_carry_tight_deadlines_and_others_use_the_defaults(
    engine: Engine,
) -> None:
    water = _get(engine, "16.01.001")  # 停水
    assert (water.name_zh, water.unit_kind) == ("停水", UnitKind.utility)
    assert (water.acknowledge_hours, water.respond_hours, water.resolve_working_days) == (1, 2, 2)
    noise = _get(engine, "18.02.004")  # 邻里噪声
    assert (noise.name_zh, noise.unit_kind) == ("邻里噪声", UnitKind.street)
    assert (noise.acknowledge_hours, noise.respond_hours, noise.resolve_working_days) == (
        None,
        None,
        None,
    )


def test_examples_are_stored_as_separate_phrasings(engine: Engine) -> None:
    heating = _get(engine, "16.05.001")
    assert heating.examples[0] == "暖气不热，室温只有十五度"
    assert "The heating in my flat is cold" in heating.examples


def test_seeding_again_adds_nothing(engine: Engine) -> None:
    assert seed(engine=engine).categories_added == 0


def test_search_matches_names_and_examples_in_both_languages(engine: Engine) -> None:
    with Session(engine) as session:
        by_example = search_categories(session=session, text="暖气不热", leaves_only=True)
        by_english = search_categories(session=session, text="GAS LEAK")
        by_name = search_categories(session=session, text="停水")
    assert "16.05.001" in [c.code for c in by_example]
    assert "16.04.002" in [c.code for c in by_english]
    assert "16.01.001" in [c.code for c in by_name]


def test_the_tree_hangs_groups_and_leaves_under_their_area(engine: Engine) -> None:
    with Session(engine) as session:
        roots = catalog_tree(session=session)
        (utilities,) = catalog_tree(session=session, code="16")
    assert [root.category.code for root in roots][:2] == ["01", "02"]
    assert all(root.category.level == 1 for root in roots)
    water = utilities.children[0]
    assert (water.category.code, water.category.name_en) == ("16.01", "Water supply")
    assert [leaf.category.code for leaf in water.children][0] == "16.01.001"


def test_loading_a_file_extends_the_catalog(own_engine: Engine, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "16.05.101,16.05,3,室温检测,Room temperature checks,utility,2,,,"
        "想请供暖公司上门测一下室温 | Can someone measure the temperature in my flat?\n",
    )
    before = len(_categories(own_engine))
    report = load_catalog_file(engine=own_engine, path=path)
    assert (report.added, report.updated, report.deactivated) == (1, 0, 0)
    leaf = _get(own_engine, "16.05.101")
    assert (leaf.level, leaf.unit_kind, leaf.acknowledge_hours, leaf.respond_hours) == (
        3,
        UnitKind.utility,
        2,
        None,
    )
    assert leaf.examples == [
        "想请供暖公司上门测一下室温",
        "Can someone measure the temperature in my flat?",
    ]
    assert len(_categories(own_engine)) == before + 1
    assert all(category.active for category in _categories(own_engine))


def test_loading_a_file_updates_existing_categories(own_engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, "16.01.001,16.01,3,停水,Water cut,utility,,,3,停水了 | No water\n")
    report = load_catalog_file(engine=own_engine, path=path)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    water = _get(own_engine, "16.01.001")
    assert (water.name_en, water.acknowledge_hours, water.resolve_working_days) == (
        "Water cut",
        None,
        3,
    )
    assert water.examples == ["停水了", "No water"]


def test_replace_deactivates_every_category_not_in_the_file_and_deletes_none(
    own_engine: Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "16,,1,公用事业,Public utilities,,,,,\n"
        "16.01,16,2,供水,Water supply,,,,,\n"
        "16.01.001,16.01,3,停水,Water outage,utility,1,2,2,停水了 | 没有水\n",
    )
    before = len(_categories(own_engine))
    report = load_catalog_file(engine=own_engine, path=path, replace=True)
    assert report.deactivated == before - 3
    active = [category.code for category in _categories(own_engine) if category.active]
    assert active == ["16", "16.01", "16.01.001"]
    assert len(_categories(own_engine)) == before
    assert _get(own_engine, "01.01.001").active is False


def test_a_file_with_bad_rows_writes_nothing_and_names_each_line(
    own_engine: Engine, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "16.05.101,16.05,3,室温检测,Room temperature checks,utility,,,,a | b\n"
        "16.05.102,16.05,4,层级错误,Bad level,utility,,,,a | b\n"
        "16.05.103,99.99,3,未知上级,Unknown parent,utility,,,,a | b\n"
        "16.05.104,16.05,3,类型错误,Bad kind,wizard,,,,a | b\n"
        "16.05.105,16.05,3,期限错误,Bad deadline,utility,0,,,a | b\n"
        "16.05.101,16.05,3,重复,Duplicate,utility,,,,a | b\n"
        "16.05.106,16.05,3,,No Chinese name,utility,,,,a | b\n"
        "16.05.107,16.05.001,3,上级是叶子,Leaf parent,utility,,,,a | b\n",
    )
    before = _snapshot(own_engine)
    with pytest.raises(CatalogFileError) as caught:
        load_catalog_file(engine=own_engine, path=path)
    assert [str(problem) for problem in caught.value.problems] == [
        "line 3: level must be 1, 2 or 3, not '4'",
        "line 4: parent '99.99' of '16.05.103' is neither in the file nor stored",
        "line 5: unknown unit_kind 'wizard' "
        "(expected one of city, district, street, department, utility)",
        "line 6: acknowledge_hours must be positive, not '0'",
        "line 7: duplicate code '16.05.101' (first on line 2)",
        "line 8: name_zh is missing",
        "line 9: parent '16.05.001' of '16.05.107' has level 3; "
        "a level-3 category needs a level-2 parent",
    ]
    assert str(caught.value).startswith(f"{path}: line 3: ")
    assert _snapshot(own_engine) == before


def test_replace_refuses_a_file_whose_parents_are_not_in_it(
    own_engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, "16.01.001,16.01,3,停水,Water outage,utility,,,,a | b\n")
    with pytest.raises(CatalogFileError, match="line 2: parent '16.01' of '16.01.001' is not in"):
        load_catalog_file(engine=own_engine, path=path, replace=True)
    assert all(category.active for category in _categories(own_engine))


def test_a_stored_code_keeps_its_level(own_engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, "16.01,16,3,供水,Water supply,utility,,,,a | b\n")
    with pytest.raises(CatalogFileError, match="'16.01' is stored with level 2"):
        load_catalog_file(engine=own_engine, path=path)
