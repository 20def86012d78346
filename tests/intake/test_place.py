"""Intake stores the place: the address text, the map point or both give district and street."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from core.settings import Settings
from dispatch.geo import gcj02_to_bd09, wgs84_to_gcj02
from intake.service import accept_intake
from models.enums import CoordinateSystem, PlaceMethod
from tests.utils.factories import make_intake

CHAOYANG, WANGJING, HAIDIAN = "110105", "110105026", "110108"
WANGJING_POINT = (39.9935, 116.4555)  # WGS-84, inside the Wangjing street area


def _place(engine: Engine, settings: Settings, **fields: object) -> tuple[object, ...]:
    case = accept_intake(engine=engine, intake=make_intake(**fields), settings=settings).case
    return (
        case.district_code,
        case.street_code,
        case.place_method,
        case.place_confidence,
        case.place_approximate,
    )


def test_an_address_alone_gives_district_and_street(engine: Engine, settings: Settings) -> None:
    assert _place(engine, settings, address="朝阳区望京街道某小区3号楼") == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.address,
        "exact",
        False,
    )


def test_a_pinyin_address_gives_the_same_street(engine: Engine, settings: Settings) -> None:
    assert _place(engine, settings, address="Wangjing, Chaoyang")[:2] == (CHAOYANG, WANGJING)


def test_a_map_point_alone_gives_an_approximate_street(engine: Engine, settings: Settings) -> None:
    latitude, longitude = WANGJING_POINT
    assert _place(engine, settings, latitude=latitude, longitude=longitude) == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.point,
        "partial",
        True,
    )


def test_an_address_and_a_point_that_agree_are_both(engine: Engine, settings: Settings) -> None:
    latitude, longitude = WANGJING_POINT
    place = _place(
        engine, settings, address="朝阳区望京街道", latitude=latitude, longitude=longitude
    )
    assert place == (CHAOYANG, WANGJING, PlaceMethod.both, "exact", False)


@pytest.mark.parametrize("system", [CoordinateSystem.gcj02, CoordinateSystem.bd09])
def test_a_chinese_map_point_is_converted_and_stored_in_wgs84(
    engine: Engine, settings: Settings, system: CoordinateSystem
) -> None:
    shifted = wgs84_to_gcj02(*WANGJING_POINT)
    if system is CoordinateSystem.bd09:
        shifted = gcj02_to_bd09(*shifted)
    intake = make_intake(latitude=shifted[0], longitude=shifted[1], coordinate_system=system)
    case = accept_intake(engine=engine, intake=intake, settings=settings).case
    assert case.street_code == WANGJING
    assert case.latitude == pytest.approx(WANGJING_POINT[0], abs=5e-5)
    assert case.longitude == pytest.approx(WANGJING_POINT[1], abs=5e-5)


def test_a_given_district_is_kept_and_its_street_found(engine: Engine, settings: Settings) -> None:
    place = _place(engine, settings, district_code=CHAOYANG, address="望京街道")
    assert place[:3] == (CHAOYANG, WANGJING, PlaceMethod.given)


def test_a_given_street_brings_its_district(engine: Engine, settings: Settings) -> None:
    assert _place(engine, settings, street_code=WANGJING)[:3] == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.given,
    )


def test_no_place_in_the_request_leaves_the_place_empty(engine: Engine, settings: Settings) -> None:
    assert _place(engine, settings, address="楼下") == (None, None, None, None, False)


def test_the_citizens_chosen_leaf_is_stored(engine: Engine, settings: Settings) -> None:
    intake = make_intake(category_code="01.02.001", address="海淀区")
    case = accept_intake(engine=engine, intake=intake, settings=settings).case
    assert (case.category_code, case.district_code) == ("01.02.001", HAIDIAN)
