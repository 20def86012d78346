"""Junk in any Open311 parameter is a 400 in the spec's form, on every database (PostgreSQL
refuses NUL in text, so unchecked it would be a 500)."""

from __future__ import annotations

import httpx
import pytest

from tests.open311.conftest import FORMATS, form, single_error

NUL_PATHS = [
    "/requests/%00",
    "/services/%00",
    "/tokens/%00",
    "/requests?service_code=%00",
    "/requests?service_request_id=%00",
    "/requests?agency_responsible=%00",
    "/services?locale=en&jurisdiction_id=%00",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", NUL_PATHS)
def test_a_nul_in_a_parameter_is_400(api_url: str, fmt: str, path: str) -> None:
    resource, _, query = path.partition("?")
    url = f"{api_url}/open311/v2{resource}.{fmt}" + (f"?{query}" if query else "")
    response = httpx.get(url, timeout=60)
    assert single_error(response, fmt, 400) == "parameters may not contain NUL characters"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("field", ["description", "service_code", "address_id", "api_key"])
def test_a_nul_in_a_form_field_is_400(
    client: httpx.Client, api_key: str, fmt: str, field: str
) -> None:
    response = client.post(f"/requests.{fmt}", data=form(api_key, **{field: "a\u0000b"}))
    assert single_error(response, fmt, 400) == "form fields may not contain NUL characters"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start_date": "9999-12-31T23:59:59-23:59"},
            "start_date '9999-12-31T23:59:59-23:59' is out of range",
        ),
        (
            {"end_date": "0001-01-01T00:00:00+23:59"},
            "end_date '0001-01-01T00:00:00+23:59' is out of range",
        ),
        ({"start_date": "9999-12-31T00:00:00Z"}, "start_date or end_date is out of range"),
        ({"end_date": "0001-01-01T00:00:00Z"}, "start_date or end_date is out of range"),
        (
            {"service_request_id": ",".join(["1"] * 1001)},
            "service_request_id lists more than 1000 values",
        ),
    ],
)
def test_dates_at_the_ends_of_time_and_huge_lists_are_400(
    client: httpx.Client, params: dict[str, str], message: str
) -> None:
    assert single_error(client.get("/requests.json", params=params), "json", 400) == message


def test_an_oversized_body_is_413(client: httpx.Client, api_key: str) -> None:
    response = client.post("/requests.json", data=form(api_key, description="长" * 100_000))
    assert single_error(response, "json", 413) == "the request body exceeds 262144 bytes"
