"""Resolving an address or a map point to a Beijing district and street, from the seed."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from dispatch.geo import PlaceAreas
from dispatch.location import Confidence, LocationIndex
from models.enums import PlaceMethod

CHAOYANG, HAIDIAN, WANGJING = "110105", "110108", "110105026"


@pytest.fixture(scope="module")
def index(engine: Engine) -> LocationIndex:
    return LocationIndex.from_engine(engine)


@pytest.mark.parametrize(
    "address",
    [
        "北京市朝阳区望京街道阜通东大街6号",
        "Wangjing, Chaoyang",
        "Wangjing Subdistrict, Chaoyang District, Beijing",
        "wangjing subdistrict, CHAOYANG district",
    ],
)
def test_a_street_named_with_its_district_is_exact(index: LocationIndex, address: str) -> None:
    match = index.resolve(address)
    assert (match.district_code, match.street_code, match.confidence) == (
        CHAOYANG,
        WANGJING,
        Confidence.exact,
    )


def test_the_matched_text_and_reason_say_what_was_found(index: LocationIndex) -> None:
    match = index.resolve("北京市朝阳区望京街道阜通东大街6号")
    assert match.matched == "朝阳区 望京街道"
    assert match.reason == "street 望京街道 named with its district, in 朝阳区"


def test_a_unique_short_street_name_alone_gives_the_street_partially(index: LocationIndex) -> None:
    match = index.resolve("望京")
    assert (match.district_code, match.street_code, match.confidence) == (
        CHAOYANG,
        WANGJING,
        Confidence.partial,
    )
    assert match.reason == "street 望京街道 named alone, in 朝阳区"


def test_a_district_alone_gives_the_district_only(index: LocationIndex) -> None:
    match = index.resolve("海淀区")
    assert (match.district_code, match.street_code, match.confidence) == (
        HAIDIAN,
        None,
        Confidence.partial,
    )
    assert match.reason == "district 海淀区, no street"


def test_a_short_name_shared_by_a_district_and_streets_means_the_district(
    index: LocationIndex,
) -> None:
    # 海淀 is the short form of 海淀区, 海淀街道 and 海淀镇.
    match = index.resolve("Haidian")
    assert (match.district_code, match.street_code) == (HAIDIAN, None)


def test_a_full_street_name_beats_the_district_short_name_inside_it(index: LocationIndex) -> None:
    match = index.resolve("东城区朝阳门街道")  # not 朝阳(区)
    assert (match.district_code, match.street_code, match.confidence) == (
        "110101",
        "110101007",
        Confidence.exact,
    )


def test_a_street_name_in_several_districts_without_a_district_resolves_to_nothing(
    index: LocationIndex,
) -> None:
    match = index.resolve("八里庄街道")
    assert (match.district_code, match.street_code, match.confidence) == (
        None,
        None,
        Confidence.none,
    )
    assert match.reason == "八里庄街道 is in several districts (朝阳区、海淀区)"


def test_the_district_settles_a_shared_street_name(index: LocationIndex) -> None:
    match = index.resolve("海淀区八里庄街道")
    assert (match.street_code, match.confidence) == ("110108005", Confidence.exact)


def test_a_street_of_another_district_keeps_only_the_named_district(index: LocationIndex) -> None:
    match = index.resolve("海淀区望京")
    assert (match.district_code, match.street_code, match.confidence) == (
        HAIDIAN,
        None,
        Confidence.partial,
    )
    assert match.reason == "district 海淀区, no street; 望京 is in 朝阳区, not a named district"


@pytest.mark.parametrize("address", ["qwzx 哈哈哈 lorem", "北京市", "   "])
def test_no_district_or_street_resolves_to_nothing(index: LocationIndex, address: str) -> None:
    match = index.resolve(address)
    assert (match.district_code, match.street_code, match.confidence) == (
        None,
        None,
        Confidence.none,
    )


def test_a_wangjing_map_point_gives_the_wangjing_street_approximately(
    index: LocationIndex,
) -> None:
    match = index.resolve(None, latitude=39.9935, longitude=116.4555)
    assert (match.district_code, match.street_code, match.confidence) == (
        CHAOYANG,
        WANGJING,
        Confidence.partial,
    )
    assert (match.approximate, match.method) == (True, PlaceMethod.point)
    assert (
        match.reason
        == "inside the boundary of 朝阳区; inside the street area of 望京街道 (approximate)"
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "district", "street"),
    [
        (39.9087, 116.3975, "110101", "110101001"),  # Tiananmen: 东华门街道
        (39.9837, 116.3164, HAIDIAN, "110108011"),  # Zhongguancun
        (40.0520, 116.6100, "110113", None),  # Capital Airport T3: in Shunyi's boundary
    ],
)
def test_a_point_lies_in_its_district_boundary(
    index: LocationIndex, latitude: float, longitude: float, district: str, street: str | None
) -> None:
    match = index.match_point(latitude, longitude)
    assert match.district_code == district
    if street is not None:
        assert match.street_code == street


def test_without_areas_a_point_falls_back_to_the_nearest_district_seat(engine: Engine) -> None:
    bare = LocationIndex.from_engine(engine, areas=PlaceAreas({}, "none"))
    match = bare.resolve(None, latitude=39.962, longitude=116.305)  # by 海淀区 government
    assert (match.district_code, match.street_code, match.confidence) == (
        HAIDIAN,
        None,
        Confidence.partial,
    )
    assert match.reason.startswith("nearest district centroid: 海淀区 (")


def test_an_address_and_a_point_that_agree_are_both(index: LocationIndex) -> None:
    match = index.resolve("朝阳区望京街道", latitude=39.9935, longitude=116.4555)
    assert (match.street_code, match.confidence, match.method) == (
        WANGJING,
        Confidence.exact,
        PlaceMethod.both,
    )


def test_a_point_fills_the_street_of_a_district_named_alone(index: LocationIndex) -> None:
    match = index.resolve("朝阳区某小区", latitude=39.9935, longitude=116.4555)
    assert (match.district_code, match.street_code, match.method, match.approximate) == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.both,
        True,
    )


def test_the_address_wins_over_the_point(index: LocationIndex) -> None:
    match = index.resolve("Wangjing, Chaoyang", latitude=39.96, longitude=116.30)
    assert match.street_code == WANGJING


def test_the_point_is_used_when_the_address_matches_nothing(index: LocationIndex) -> None:
    match = index.resolve("楼下", latitude=39.96, longitude=116.30)
    assert (match.district_code, match.method) == (HAIDIAN, PlaceMethod.point)
    assert match.reason.endswith("the address: no district or street name found")


def test_a_point_outside_beijing_resolves_to_nothing(index: LocationIndex) -> None:
    match = index.resolve(None, latitude=31.23, longitude=121.47)  # Shanghai
    assert (match.district_code, match.confidence, match.reason) == (
        None,
        Confidence.none,
        "the point is inside no district boundary",
    )


def test_intake_reuses_one_index_until_the_places_or_areas_change(engine: Engine) -> None:
    from dataclasses import replace

    from sqlmodel import Session

    from dispatch.geo import shipped_areas

    areas = shipped_areas()
    with Session(engine) as session:
        first = LocationIndex.of(session, areas)
        assert LocationIndex.of(session, areas) is first  # built once, not per request
        other = LocationIndex.of(session, replace(areas, source="a city's own file"))
    assert other is not first
    assert first.resolve("朝阳区望京街道", None, None).street_code == "110105026"
