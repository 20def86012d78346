"""A web case keeps its place and leaf through the real API: /track, /feed, the console and
Open311 show the district and street; a stranger sees no address."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy.engine import Engine

from dispatch.geo import wgs84_to_gcj02
from models.enums import PlaceMethod, StaffRole
from tests.utils.cases import case_row
from tests.utils.factories import make_submission
from tests.utils.staff import console_login, csrf_of, make_staff

CHAOYANG, WANGJING = "110105", "110105026"
WANGJING_POINT = (39.9935, 116.4555)  # WGS-84
PRIVATE = "阜通东大街6号院3号楼"


@pytest.fixture(scope="module")
def number(api_url: str) -> str:
    latitude, longitude = WANGJING_POINT
    body = make_submission(
        address=f"朝阳区望京街道{PRIVATE}",
        latitude=latitude,
        longitude=longitude,
        category_code="01.02.001",
    )
    created = httpx.post(f"{api_url}/api/v1/requests", json=body, timeout=60)
    assert created.status_code == 201, created.text
    result: str = created.json()["number"]
    return result


def test_a_web_case_keeps_its_district_street_and_leaf(number: str, engine: Engine) -> None:
    case = case_row(engine, number)
    assert (case.district_code, case.street_code, case.place_method) == (
        CHAOYANG,
        WANGJING,
        PlaceMethod.both,
    )
    assert case.category_code == "01.02.001"


def test_the_tracker_shows_district_and_street_but_not_the_address(
    api_url: str, number: str
) -> None:
    page = httpx.get(f"{api_url}/track", params={"number": number}).text
    assert "朝阳区 望京街道" in page
    assert PRIVATE not in page
    english = httpx.get(f"{api_url}/track", params={"number": number, "lang": "en"}).text
    assert "Chaoyang District Wangjing Subdistrict" in english


def test_the_feed_shows_district_and_street_but_not_the_address(api_url: str, number: str) -> None:
    feed = httpx.get(f"{api_url}/feed", params={"district": CHAOYANG}).text
    row = re.search(rf"<tr>\s*<td><a href=\"/track\?number={number}\">.*?</tr>", feed, re.S)
    assert row is not None
    assert "朝阳区 望京街道" in row.group(0)
    assert PRIVATE not in feed


def test_open311_shows_the_area_as_the_address(api_url: str, number: str) -> None:
    [request] = httpx.get(f"{api_url}/open311/v2/requests/{number}.json").json()
    assert request["address_id"] == WANGJING
    assert "望京街道" in request["address"] and "朝阳区" in request["address"]
    assert PRIVATE not in str(request)


def test_the_console_shows_the_place_and_how_it_was_found(
    api_url: str, number: str, engine: Engine
) -> None:
    with console_login(api_url, make_staff(engine, StaffRole.dispatcher)) as client:
        page = client.get(f"/console/cases/{number}").text
    place = re.search(r'<dd id="place">(.*?)</dd>', page, re.S)
    assert place is not None
    assert "110105 朝阳区" in place.group(1) and "110105026 望京街道" in place.group(1)
    assert "地址与地图位置一致" in place.group(1)  # how it was found, in words (not "both")


def test_a_form_point_picked_on_an_amap_map_is_converted(api_url: str, engine: Engine) -> None:
    latitude, longitude = wgs84_to_gcj02(*WANGJING_POINT)
    with httpx.Client(base_url=api_url, timeout=60) as client:
        token = csrf_of(client.get("/submit").text)
        data = {
            "csrf_token": token,
            "intake_key": uuid.uuid4().hex,
            "description": "路灯不亮",
            "latitude": str(latitude),
            "longitude": str(longitude),
            "coordinate_system": "gcj02",
        }
        response = client.post("/submit", data=data)
    assert response.status_code == 303
    case = case_row(engine, response.headers["location"].split("/")[-1].split("?")[0])
    assert (case.street_code, case.place_method, case.place_approximate) == (
        WANGJING,
        PlaceMethod.point,
        True,
    )
    assert case.latitude == pytest.approx(WANGJING_POINT[0], abs=5e-5)
