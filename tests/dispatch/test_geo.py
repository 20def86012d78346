"""Map datum conversion and the shipped areas: GCJ-02 and BD-09 points back to WGS-84."""

from __future__ import annotations

import math

import pytest

from dispatch.geo import (
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    shipped_areas,
    to_wgs84,
    wgs84_to_gcj02,
)
from models.enums import CoordinateSystem

# WGS-84 (lat, lon): Tiananmen, Wangjing, Zhongguancun, Capital Airport T3
KNOWN = [(39.9087, 116.3975), (39.9935, 116.4555), (39.9837, 116.3164), (40.0520, 116.6100)]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6_371_000 * math.hypot(dlat, dlon)


@pytest.mark.parametrize("point", KNOWN)
def test_gcj02_round_trips_to_wgs84_within_a_metre(point: tuple[float, float]) -> None:
    shifted = wgs84_to_gcj02(*point)
    assert 300 < _metres(point, shifted) < 800  # Beijing's offset is about 550 m
    assert _metres(point, to_wgs84(*shifted, CoordinateSystem.gcj02)) < 1


@pytest.mark.parametrize("point", KNOWN)
def test_bd09_round_trips_to_wgs84_within_a_few_metres(point: tuple[float, float]) -> None:
    baidu = gcj02_to_bd09(*wgs84_to_gcj02(*point))
    assert _metres(point, to_wgs84(*baidu, CoordinateSystem.bd09)) < 5


def test_the_published_gcj02_offset_of_tiananmen() -> None:
    """Tiananmen's GCJ-02 point is about +0.0060° lon and +0.0013° lat off WGS-84."""
    lat, lon = wgs84_to_gcj02(39.9087, 116.3975)
    assert lon - 116.3975 == pytest.approx(0.0062, abs=0.0004)
    assert lat - 39.9087 == pytest.approx(0.0013, abs=0.0004)


def test_bd09_and_gcj02_invert_each_other() -> None:
    gcj = (39.9100, 116.4037)
    assert _metres(gcj, bd09_to_gcj02(*gcj02_to_bd09(*gcj))) < 1
    assert _metres(gcj, gcj02_to_wgs84(*wgs84_to_gcj02(*gcj))) < 1


def test_wgs84_points_are_left_alone() -> None:
    assert to_wgs84(39.9, 116.4, CoordinateSystem.wgs84) == (39.9, 116.4)


def test_the_shipped_areas_hold_16_districts_and_337_approximate_streets() -> None:
    areas = shipped_areas().areas.values()
    districts = [a for a in areas if len(a.code) == 6]
    streets = [a for a in areas if len(a.code) == 9]
    assert (len(districts), len(streets)) == (16, 337)
    assert not any(a.approximate for a in districts)
    assert all(a.approximate for a in streets)
