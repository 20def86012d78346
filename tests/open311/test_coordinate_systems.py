"""POST requests takes `coordinate_system` (wgs84 by default, gcj02, bd09): a point picked on
a Chinese map is stored converted to WGS-84 and found in the right street, as on the web."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from dispatch.geo import gcj02_to_bd09, wgs84_to_gcj02
from models.enums import PlaceMethod
from tests.open311.conftest import form
from tests.utils.cases import case_row

WANGJING = "110105026"
WANGJING_POINT = (39.9935, 116.4555)  # WGS-84
GCJ02 = wgs84_to_gcj02(*WANGJING_POINT)
BD09 = gcj02_to_bd09(*GCJ02)
POINTS = {"wgs84": WANGJING_POINT, "gcj02": GCJ02, "bd09": BD09, None: WANGJING_POINT}


def _post(client: httpx.Client, api_key: str, system: str | None) -> str:
    latitude, longitude = POINTS[system]
    fields = form(api_key, lat=f"{latitude:.6f}", long=f"{longitude:.6f}", coordinate_system=system)
    response = client.post("/requests.json", data=fields)
    assert response.status_code == 200, response.text
    number: str = response.json()[0]["service_request_id"]
    return number


@pytest.mark.parametrize("system", ["wgs84", "gcj02", "bd09", None])
def test_a_point_in_any_datum_is_stored_in_wgs84_and_found_in_its_street(
    client: httpx.Client, engine: Engine, api_key: str, system: str | None
) -> None:
    case = case_row(engine, _post(client, api_key, system))
    assert case.latitude == pytest.approx(WANGJING_POINT[0], abs=5e-5)
    assert case.longitude == pytest.approx(WANGJING_POINT[1], abs=5e-5)
    assert (case.street_code, case.place_method) == (WANGJING, PlaceMethod.point)


def test_an_unconverted_chinese_map_point_lands_hundreds_of_metres_off(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    """Why the field matters: a GCJ-02 point taken for WGS-84 is stored where it is not."""
    latitude, longitude = GCJ02
    fields = form(api_key, lat=f"{latitude:.6f}", long=f"{longitude:.6f}")
    number = client.post("/requests.json", data=fields).json()[0]["service_request_id"]
    case = case_row(engine, number)
    assert case.longitude is not None and abs(case.longitude - WANGJING_POINT[1]) > 3e-3
