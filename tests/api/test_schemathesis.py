"""Schemathesis against the app's whole OpenAPI schema, over real HTTP: no input makes a 5xx.

Every operation gets generated requests, valid and invalid (schemathesis' positive and
negative modes); the check is `not_a_server_error`, and for Open311 also that the status code,
content type and JSON body are the ones the schema documents. Open311 POSTs carry a real API key, so
generated forms get past the key check and reach validation and intake.

The schema is the app's own (`app.openapi()`), read at collection time so each operation is
its own test; `test_the_served_schema_is_the_one_tested` proves it is what the running API
serves. (Schemathesis' fixture-based lazy loading trips over pytest 9's node ids.)
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine

from api.main import create_app
from core.settings import Environment, Settings
from models.api_key import create_api_key
from models.enums import StaffRole
from tests.utils.servers import serve
from tests.utils.staff import staff_headers

EXAMPLES_PER_OPERATION = 30  # the whole run stays around a minute on a busy machine
OPENAPI = create_app(Settings(environment=Environment.test, _env_file=None)).openapi()  # type: ignore[call-arg]
schema = schemathesis.openapi.from_dict(OPENAPI)


@pytest.fixture(scope="session")
def fuzz_key(engine: Engine) -> str:
    return create_api_key(engine=engine, name="schemathesis").secret


@pytest.fixture(scope="module")
def fuzz_url(settings: Settings, worker_process: None) -> Iterator[str]:
    """An API process of its own: the fuzzer's thousands of failed logins lock out its address
    (login throttling works), and that must not lock out the other tests' logins."""
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def supervisor_auth(fuzz_url: str, engine: Engine) -> dict[str, str]:
    """Staff routes are fuzzed logged in, so generated requests reach validation, not just 401."""
    return staff_headers(fuzz_url, engine, StaffRole.supervisor)


def test_the_served_schema_is_the_one_tested(fuzz_url: str) -> None:
    assert httpx.get(f"{fuzz_url}/openapi.json", timeout=30).json() == OPENAPI


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
    database=None,
)
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case, fuzz_url: str, fuzz_key: str, supervisor_auth: dict[str, str]
) -> None:
    # Logged in, except to log in or out (logging out would end the token the others use).
    if case.path.startswith("/api/v1/") and case.path not in (
        "/api/v1/auth/token",
        "/api/v1/auth/logout",
    ):
        case.headers = {**(case.headers or {}), **supervisor_auth}
    if case.method == "POST" and case.path.startswith("/open311/") and isinstance(case.body, dict):
        case.body = {**case.body, "api_key": fuzz_key}
    response = case.call(base_url=fuzz_url, timeout=60)
    checks = [not_a_server_error]
    if case.path.startswith("/open311/"):  # its answers are documented to the letter
        checks += [status_code_conformance, content_type_conformance, response_schema_conformance]
    case.validate_response(response, checks=checks)


# Inputs that once gave 5xx (found probing on PostgreSQL, which refuses NUL in text, and with
# offsets beyond a 64-bit integer); each is now a 4xx that says what is wrong.
REGRESSIONS: list[tuple[str, str, dict[str, object], int]] = [
    ("GET", "/api/v1/cases/%00", {}, 404),  # not a case number: no such case
    ("GET", "/api/v1/cases?unit=%00", {}, 422),
    ("GET", "/api/v1/cases?offset=100000000000000000000", {}, 422),
    ("POST", "/api/v1/requests", {"json": {"channel": "web", "description": "a\u0000b"}}, 422),
    (
        "POST",
        "/api/v1/requests",
        {"json": {"channel": "web", "description": "ab", "category_code": "\u0000"}},
        422,
    ),
    (
        "POST",
        "/api/v1/requests",
        {"json": {"channel": "web", "description": "ab", "contact": {"name": "\u0000"}}},
        422,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "request_args", "status"),
    [
        pytest.param(*regression, id=f"{regression[0]} {regression[1]}")
        for regression in REGRESSIONS
    ],
)
def test_inputs_that_once_failed_are_client_errors(
    fuzz_url: str,
    supervisor_auth: dict[str, str],
    method: str,
    path: str,
    request_args: dict[str, object],
    status: int,
) -> None:
    with httpx.Client(base_url=fuzz_url, timeout=60, headers=supervisor_auth) as client:
        response = client.request(method, path, **request_args)  # type: ignore[arg-type]
    assert response.status_code == status, response.text


def test_a_nul_in_a_request_names_the_field(fuzz_url: str) -> None:
    body = {"channel": "web", "description": "ok", "contact": {"name": "a\u0000"}}
    response = httpx.post(f"{fuzz_url}/api/v1/requests", json=body, timeout=60)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "contact", "name"]
    assert "NUL" in error["msg"]
