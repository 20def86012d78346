"""`/metrics` counts and times real HTTP requests by route template, never by raw path."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from core.settings import Settings
from tests.utils.servers import serve

NUMBER = "20261130-987654"
CASE_ROUTE = "/api/v1/cases/{number}"
OPEN311_ROUTE = "/open311/v2/requests/{service_request_id}.{fmt}"


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[httpx.Client]:
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def _samples(api: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the process's `/metrics`, by name and labels (other tests count too)."""
    body = api.get("/metrics").text
    assert NUMBER not in body  # no label carries a case number (or any raw path)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _requests(route: str, status: str) -> tuple[str, frozenset[tuple[str, str]]]:
    labels = {"method": "GET", "route": route, "status": status}
    return ("hotline_http_requests_total", frozenset(labels.items()))


def test_requests_are_counted_and_timed_by_route_template_and_status(api: httpx.Client) -> None:
    before = _samples(api)
    assert api.get(f"/api/v1/cases/{NUMBER}").status_code == 401
    assert api.get(f"/open311/v2/requests/{NUMBER}.json").status_code == 404
    assert api.get(f"/no/such/page/{NUMBER}").status_code == 404
    after = _samples(api)
    for key in (
        _requests(CASE_ROUTE, "401"),
        _requests(OPEN311_ROUTE, "404"),
        _requests("unmatched", "404"),
    ):
        assert after[key] - before.get(key, 0.0) == 1.0, key
    timed = (
        "hotline_http_request_duration_seconds_count",
        frozenset({"method": "GET", "route": CASE_ROUTE}.items()),
    )
    assert after[timed] - before.get(timed, 0.0) == 1.0
