"""POST servicerequestupdates (mySociety): a citizen's update reaches the open case once, comes
back under the same update_id, shows in the public notes masked, and every error is the spec's."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from intake.followups import withdraw
from models.api_key import create_api_key
from models.enums import CaseStatus
from tests.open311.conftest import FORMATS, errors, form, single_error, xml_items
from tests.utils.cases import case_row, events
from tests.utils.factories import unique_phone
from tests.utils.servers import free_port, serve


def _request(client: httpx.Client, key: str) -> str:
    response = client.post("/requests.json", data=form(key))
    assert response.status_code == 200, response.text
    number: str = response.json()[0]["service_request_id"]
    return number


def update_form(key: str, number: str, **fields: Any) -> dict[str, Any]:
    """A valid update form (a fresh update_id each time) plus `fields`; None leaves one out."""
    values: dict[str, Any] = {
        "api_key": key,
        "service_request_id": number,
        "update_id": f"fms-{uuid.uuid4().hex[:12]}",
        "status": "OPEN",
        "updated_datetime": "2026-11-25T10:00:00+08:00",
        "description": "围挡还没有修好，晚上很危险。",
        "first_name": "Wei",
        "last_name": "Zhang",
        "email": "wei.zhang@example.com",
    }
    values.update(fields)
    return {name: value for name, value in values.items() if value is not None}


def _answer(response: httpx.Response, fmt: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        [item] = response.json()
    else:
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        [item] = xml_items(response, "service_request_updates")
    assert set(item) == {"update_id", "account_id"}
    return item


def _citizen_updates(engine: Engine, number: str) -> list[tuple[int | None, dict[str, Any]]]:
    return [(e.id, e.payload) for e in events(engine, number) if e.kind == "citizen_details"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_update_is_recorded_on_the_case_and_listed_under_its_update_id(
    client: httpx.Client, engine: Engine, api_key: str, fmt: str
) -> None:
    number = _request(client, api_key)
    phone = unique_phone()
    text = f"围挡还没有修好，请回电 {phone}，或写信 wei.zhang@example.com"
    fields = update_form(
        api_key,
        number,
        description=text,
        account_id="acct-7",
        media_url="https://photos.example.com/2.jpg",
    )
    item = _answer(client.post(f"/servicerequestupdates.{fmt}", data=fields), fmt)
    assert item["account_id"] == "acct-7"
    [(event_id, payload)] = _citizen_updates(engine, number)
    assert item["update_id"] == str(event_id)
    assert payload == {"text": f"{text}\nhttps://photos.example.com/2.jpg", "channel": "open311"}

    masked = "围挡还没有修好，请回电 [phone]，或写信 [email]\nhttps://photos.example.com/2.jpg"
    listed = client.get(f"/servicerequestupdates.{fmt}")
    assert listed.status_code == 200, listed.text
    found = listed.json() if fmt == "json" else xml_items(listed, "service_request_updates")
    [mine] = [update for update in found if update["update_id"] == item["update_id"]]
    assert (mine["service_request_id"], mine["status"], mine["description"]) == (
        number,
        "open",
        masked,
    )
    [request] = client.get(f"/requests/{number}.json", params={"extensions": "true"}).json()
    assert [(note["type"], note["summary"], note["description"]) for note in request["notes"]] == [
        ("opened", "诉求已受理", None),
        ("activity", "市民补充", masked),
    ]
    assert request["status_notes"] == "诉求已受理"  # what the city did last, not the citizen
    english = client.get(f"/requests/{number}.json", params={"extensions": "1", "locale": "en"})
    assert english.json()[0]["notes"][1]["summary"] == "Update from the citizen"
    for response in (listed, client.get(f"/requests/{number}.xml?extensions=true")):
        assert not [secret for secret in ("Zhang", "wei.zhang@", phone) if secret in response.text]


def test_a_retried_update_counts_once_in_either_format(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    number = _request(client, api_key)
    fields = update_form(api_key, number)
    first = _answer(client.post("/servicerequestupdates.json", data=fields), "json")
    again = _answer(client.post("/servicerequestupdates.xml", data=fields), "xml")
    changed = {**fields, "description": "重发时文字变了"}  # the update_id is what counts
    third = _answer(client.post("/servicerequestupdates.json", data=changed), "json")
    assert first["update_id"] == again["update_id"] == third["update_id"]
    assert len(_citizen_updates(engine, number)) == 1

    other = _answer(
        client.post("/servicerequestupdates.json", data=update_form(api_key, number)), "json"
    )
    assert other["update_id"] != first["update_id"]
    assert len(_citizen_updates(engine, number)) == 2


def test_the_same_update_id_from_another_client_is_another_update(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    number = _request(client, api_key)
    other_key = create_api_key(engine=engine, name="another updates client").secret
    fields = update_form(api_key, number)
    first = _answer(client.post("/servicerequestupdates.json", data=fields), "json")
    second = _answer(
        client.post("/servicerequestupdates.json", data={**fields, "api_key": other_key}), "json"
    )
    assert first["update_id"] != second["update_id"]
    assert len(_citizen_updates(engine, number)) == 2


async def test_twenty_concurrent_identical_updates_count_once(
    api_url: str, engine: Engine, api_key: str
) -> None:
    async with httpx.AsyncClient(base_url=f"{api_url}/open311/v2", timeout=120) as client:
        created = await client.post("/requests.json", data=form(api_key))
        number = created.json()[0]["service_request_id"]
        fields = update_form(api_key, number)
        responses = await asyncio.gather(
            *(client.post("/servicerequestupdates.json", data=fields) for _ in range(20))
        )
    assert {response.status_code for response in responses} == {200}
    assert len({response.json()[0]["update_id"] for response in responses}) == 1
    assert len(_citizen_updates(engine, number)) == 1


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_closed_case_takes_no_new_update_but_a_retry_still_answers(
    client: httpx.Client, engine: Engine, temporal_client: Client, api_key: str, fmt: str
) -> None:
    number = _request(client, api_key)
    earlier = update_form(api_key, number)
    first = _answer(client.post(f"/servicerequestupdates.{fmt}", data=earlier), fmt)
    await withdraw(client=temporal_client, number=number, reason="已自行解决")
    for _ in range(600):
        if case_row(engine, number).status == CaseStatus.withdrawn:
            break
        await asyncio.sleep(0.05)
    response = client.post(f"/servicerequestupdates.{fmt}", data=update_form(api_key, number))
    message = f"service_request_id '{number}' is withdrawn and takes no more updates"
    assert single_error(response, fmt, 400) == message
    retried = _answer(client.post(f"/servicerequestupdates.{fmt}", data=earlier), fmt)
    assert retried["update_id"] == first["update_id"]
    assert len(_citizen_updates(engine, number)) == 1


# ---- errors: nothing is recorded and the answer says what to fix --------------------------

UPDATE_ERRORS: list[tuple[str, dict[str, str | None], int, str]] = [
    ("no api_key", {"api_key": None}, 403, "api_key was not provided"),
    ("bad api_key", {"api_key": "h311_guess"}, 403, "api_key is not valid (unknown or revoked)"),
    *[
        (f"no {name}", {name: None}, 400, f"{name} was not provided")
        for name in ("update_id", "status", "updated_datetime", "description")
    ],
    ("blank description", {"description": "  "}, 400, "description was not provided"),
    (
        "bad status",
        {"status": "SOLVED"},
        400,
        "status 'SOLVED' is not one of OPEN, CLOSED, FIXED, IN_PROGRESS, PLANNED, "
        "ACTION_SCHEDULED, INVESTIGATING, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY, "
        "NO_FURTHER_ACTION, INTERNAL_REFERRAL, CANCELLED, REOPEN, FOR_TRIAGE",
    ),
    (
        "bad updated_datetime",
        {"updated_datetime": "yesterday"},
        400,
        "updated_datetime 'yesterday' is not a W3C datetime with a zone, eg 2010-01-01T00:00:00Z",
    ),
    ("update_id too long", {"update_id": "u" * 201}, 400, "update_id takes at most 200 characters"),
    (
        "description too long",
        {"description": "长" * 4001},
        400,
        "description has 4001 characters; the limit is 4000",
    ),
    (
        "bad media_url",
        {"media_url": "file:///etc/passwd"},
        400,
        "media_url must be an http or https URL",
    ),
    (
        "foreign jurisdiction",
        {"jurisdiction_id": "sfgov.org"},
        404,
        "jurisdiction_id 'sfgov.org' was not found; this endpoint serves '12345.beijing.gov.cn'",
    ),
    (
        "unknown case",
        {"service_request_id": "20990101-000001"},
        404,
        "service_request_id '20990101-000001' was not found",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        pytest.param(fields, status, message, id=name)
        for name, fields, status, message in UPDATE_ERRORS
    ],
)
def test_a_bad_update_is_refused_with_the_spec_error_and_records_nothing(
    client: httpx.Client,
    engine: Engine,
    api_key: str,
    fmt: str,
    fields: dict[str, str | None],
    status: int,
    message: str,
) -> None:
    number = _request(client, api_key)
    response = client.post(
        f"/servicerequestupdates.{fmt}", data=update_form(api_key, number, **fields)
    )
    assert single_error(response, fmt, status) == message
    assert _citizen_updates(engine, number) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_service_request_id_is_400(client: httpx.Client, api_key: str, fmt: str) -> None:
    fields = update_form(api_key, "x", service_request_id=None)
    response = client.post(f"/servicerequestupdates.{fmt}", data=fields)
    assert single_error(response, fmt, 400) == "service_request_id was not provided"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_json_update_body_is_refused(client: httpx.Client, api_key: str, fmt: str) -> None:
    response = client.post(f"/servicerequestupdates.{fmt}", json=update_form(api_key, "x"))
    [error] = errors(response, fmt)
    assert error == {
        "code": 400,
        "description": "send the request as application/x-www-form-urlencoded, not "
        "application/json",
    }


@pytest.mark.parametrize("fmt", FORMATS)
async def test_with_temporal_down_the_update_waits_for_a_retry(
    settings: Settings, api_url: str, engine: Engine, api_key: str, fmt: str
) -> None:
    with httpx.Client(base_url=f"{api_url}/open311/v2", timeout=60) as client:
        number = _request(client, api_key)
    dead = settings.model_copy(
        update={"temporal_address": f"127.0.0.1:{free_port()}", "temporal_connect_timeout_s": 1.0}
    )
    fields = update_form(api_key, number)
    with serve(create_app(dead)) as down_url:
        response = httpx.post(
            f"{down_url}/open311/v2/servicerequestupdates.{fmt}", data=fields, timeout=60
        )
    description = single_error(response, fmt, 503)
    assert description.startswith(f"Temporal at {dead.temporal_address} is not reachable")
    assert response.headers["retry-after"] == "30"
    assert _citizen_updates(engine, number) == []
    retried = httpx.post(
        f"{api_url}/open311/v2/servicerequestupdates.{fmt}", data=fields, timeout=60
    )
    [(event_id, _)] = _citizen_updates(engine, number)
    assert _answer(retried, fmt)["update_id"] == str(event_id)
