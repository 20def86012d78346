"""GET requests, one request, tokens and servicerequestupdates: filters, formats, errors, and
what a case shows the public as it moves through its workflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.client import Client

from tests.open311.conftest import FORMATS, as_text, form, single_error, xml_items
from tests.utils.factories import unique_phone
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"
OTHER_LEAF = "01.01.002"


def _post(client: httpx.Client, key: str, **fields: str | None) -> dict[str, str]:
    response = client.post("/requests.json", data=form(key, **fields))
    assert response.status_code == 200, response.text
    item: dict[str, str] = response.json()[0]
    return item


def _numbers(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["service_request_id"] for item in response.json()]


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_in_both_formats(client: httpx.Client, api_key: str, fmt: str) -> None:
    number = _post(client, api_key, address_id="110105001")["service_request_id"]
    response = client.get(f"/requests/{number}.{fmt}")
    assert response.status_code == 200, response.text
    [item] = response.json() if fmt == "json" else xml_items(response, "service_requests")
    assert set(item) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    }
    assert as_text(item) | {"description": None, "requested_datetime": None} == {
        "service_request_id": number,
        "status": "open",
        "status_notes": "诉求已受理",
        "service_name": "事故处理",
        "service_code": "01.01.001",
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": None,
        "updated_datetime": item["updated_datetime"],
        "expected_datetime": None,
        "address": "建外街道, 朝阳区",
        "address_id": "110105001",
        "zipcode": None,
        "lat": "39.922",
        "long": "116.444",
        "media_url": None,
    }
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert item["requested_datetime"].endswith("Z")
    assert abs(datetime.now(UTC) - requested) < timedelta(hours=1)


def test_xml_and_json_requests_carry_the_same_data(client: httpx.Client, api_key: str) -> None:
    numbers = [_post(client, api_key)["service_request_id"] for _ in range(2)]
    params = {"service_request_id": ",".join(numbers), "extensions": "true"}
    as_json = client.get("/requests.json", params=params).json()
    as_xml = xml_items(client.get("/requests.xml", params=params), "service_requests")
    assert len(as_json) == 2
    assert as_xml == as_text(as_json)


def test_service_request_ids_override_every_other_filter(
    client: httpx.Client, api_key: str
) -> None:
    first, second = (_post(client, api_key)["service_request_id"] for _ in range(2))
    params = {
        "service_request_id": f"{first}, {second},no-such-case",
        "status": "closed",
        "service_code": OTHER_LEAF,
        "start_date": "2001-01-01T00:00:00Z",
    }
    assert _numbers(client.get("/requests.json", params=params)) == [second, first]


def test_filters_by_service_code_status_dates_and_agency(
    client: httpx.Client, api_key: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    mine = _post(client, api_key, service_code=OTHER_LEAF)["service_request_id"]
    after = datetime.now(UTC) + timedelta(seconds=2)
    window = {"start_date": _w3c(before), "end_date": _w3c(after)}

    def found(**params: str) -> list[str]:
        return _numbers(client.get("/requests.json", params=params))

    assert mine in found(service_code=f"{OTHER_LEAF},01.01.001")
    assert mine not in found(service_code="01.01.001")
    assert mine in found(status="open", **window)
    assert mine in found(status="open,closed", **window)
    assert mine not in found(status="closed", **window)
    assert mine in found(**window)
    assert mine in found(start_date=_w3c(before))  # the 90 days from it
    assert mine in found(end_date=_w3c(after))  # the 90 days up to it
    assert mine not in found(end_date=_w3c(before))
    assert mine not in found(start_date="2001-01-01T00:00:00+08:00")
    assert mine in found(updated_after=_w3c(before), updated_before=_w3c(after))
    assert mine not in found(updated_after=_w3c(after))
    assert mine not in found(agency_responsible=CHAOYANG, **window)


def test_pages_of_requests(client: httpx.Client, api_key: str) -> None:
    numbers = [_post(client, api_key)["service_request_id"] for _ in range(3)]
    ids = ",".join(numbers)

    def page(number: int) -> list[str]:
        params = {"service_request_id": ids, "page": str(number), "page_size": "2"}
        return _numbers(client.get("/requests.json", params=params))

    assert (page(1), page(2), page(3)) == ([numbers[2], numbers[1]], [numbers[0]], [])


async def test_the_public_sees_milestones_and_the_reply_but_no_personal_data(
    client: httpx.Client, api_key: str, temporal_client: Client
) -> None:
    phone = unique_phone()
    email = f"zhang.{phone[-8:]}@example.com"
    secret_text = ["Zhang", email, phone, phone[3:], "1号院3单元"]
    item = _post(
        client,
        api_key,
        first_name="Wei",
        last_name="Zhang",
        email=email,
        phone=phone,
        address_string="朝阳区建外街道1号院3单元",
        description=f"楼下工地围挡倒了，我的电话 {phone[3:]}，邮箱 {email}",
        lat=None,
        long=None,
    )
    number = item["service_request_id"]
    handle = temporal_client.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", CHAOYANG, "打过电话"))
    reply = "围挡已重新固定。如有问题请拨打 010-65001234。"
    await handle.execute_update(CaseWorkflow.resolve, Resolve("handler-1", CHAOYANG, reply))

    response = client.get(f"/requests/{number}.json", params={"extensions": "true"})
    [request] = response.json()
    assert (request["status"], request["agency_responsible"]) == ("closed", "朝阳区")
    assert request["status_notes"] == "围挡已重新固定。如有问题请拨打 [phone]。"
    assert request["description"] == "楼下工地围挡倒了，我的电话 [phone]，邮箱 [email]"
    # the area intake found in address_string is public, the typed address is not
    assert request["address"] == "建外街道, 朝阳区" and request["lat"] is None
    assert request["expected_datetime"] is not None
    notes = [(note["type"], note["summary"]) for note in request["notes"]]
    assert notes[:5] == [
        ("opened", "诉求已受理"),
        ("activity", "已派发至朝阳区"),
        ("activity", "承办单位已签收"),
        ("activity", "承办单位正在办理"),
        ("activity", "已办结"),
    ]
    english = client.get(f"/requests/{number}.json", params={"extensions": "1", "locale": "en"})
    assert english.json()[0]["notes"][1]["summary"] == "Assigned to Chaoyang District"
    assert "notes" not in client.get(f"/requests/{number}.json").json()[0]
    assert number in _numbers(client.get("/requests.json", params={"agency_responsible": CHAOYANG}))
    assert number in _numbers(client.get("/requests.json", params={"status": "closed"}))

    updates = client.get("/servicerequestupdates.json").json()
    mine = [update for update in updates if update["service_request_id"] == number]
    assert [(u["status"], u["external_status_code"], u["description"]) for u in mine][:5] == [
        ("open", "accepted", "诉求已受理"),
        ("open", "dispatched", "已派发至朝阳区"),
        ("open", "acknowledged", "承办单位已签收"),
        ("open", "in_progress", "承办单位正在办理"),
        ("closed", "resolved", "围挡已重新固定。如有问题请拨打 [phone]。"),
    ]
    for path in (f"/requests/{number}.json?extensions=true", f"/requests/{number}.xml"):
        text = client.get(path).text
        assert not [secret for secret in secret_text if secret in text]
    assert not [secret for secret in secret_text if secret in str(mine)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_updates_in_both_formats(
    client: httpx.Client, api_key: str, fmt: str
) -> None:
    start = _w3c(datetime.now(UTC) - timedelta(seconds=2))
    number = _post(client, api_key)["service_request_id"]
    response = client.get(f"/servicerequestupdates.{fmt}", params={"start_date": start})
    assert response.status_code == 200, response.text
    if fmt == "json":
        updates = response.json()
    else:
        updates = xml_items(response, "service_request_updates")
    [update] = [u for u in updates if u["service_request_id"] == number]
    assert as_text(update) | {"update_id": None, "updated_datetime": None} == {
        "update_id": None,
        "service_request_id": number,
        "status": "open",
        "updated_datetime": None,
        "description": "诉求已受理",
        "media_url": None,
        "external_status_code": "accepted",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_answers_with_its_service_request_id(
    client: httpx.Client, api_key: str, fmt: str
) -> None:
    created = _post(client, api_key)
    response = client.get(f"/tokens/{created['token']}.{fmt}")
    assert response.status_code == 200, response.text
    items = response.json() if fmt == "json" else xml_items(response, "service_requests")
    assert items == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_token_is_404(client: httpx.Client, fmt: str) -> None:
    assert single_error(client.get(f"/tokens/nope.{fmt}"), fmt, 404) == "token 'nope' was not found"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_request_id_is_404(client: httpx.Client, fmt: str) -> None:
    response = client.get(f"/requests/20990101-000001.{fmt}")
    assert single_error(response, fmt, 404) == "service_request_id '20990101-000001' was not found"


GET_ERRORS: list[tuple[str, str, dict[str, str], str]] = [
    ("bad status", "/requests", {"status": "pending"}, "status 'pending' is not open or closed"),
    (
        "bad start_date",
        "/requests",
        {"start_date": "yesterday"},
        "start_date 'yesterday' is not a W3C datetime with a zone, eg 2010-01-01T00:00:00Z",
    ),
    (
        "start_date without zone",
        "/requests",
        {"start_date": "2026-01-01T00:00:00"},
        "start_date '2026-01-01T00:00:00' is not a W3C datetime with a zone, "
        "eg 2010-01-01T00:00:00Z",
    ),
    (
        "start after end",
        "/requests",
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
        "start_date is after end_date",
    ),
    (
        "more than 90 days",
        "/requests",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        "start_date and end_date may not span more than 90 days",
    ),
    (
        "updated_after after updated_before",
        "/requests",
        {"updated_after": "2026-02-01T00:00:00Z", "updated_before": "2026-01-01T00:00:00Z"},
        "updated_after is after updated_before",
    ),
    ("page 0", "/requests", {"page": "0"}, "page: Input should be greater than or equal to 1"),
    (
        "page_size too big",
        "/requests",
        {"page_size": "1001"},
        "page_size: Input should be less than or equal to 1000",
    ),
    (
        "page not a number",
        "/requests",
        {"page": "two"},
        "page: Input should be a valid integer, unable to parse string as an integer",
    ),
    (
        "extensions not a boolean",
        "/requests",
        {"extensions": "maybe"},
        "extensions: Input should be a valid boolean, unable to interpret input",
    ),
    (
        "updates with a bad end_date",
        "/servicerequestupdates",
        {"end_date": "2026-13-01T00:00:00Z"},
        "end_date '2026-13-01T00:00:00Z' is not a W3C datetime with a zone, "
        "eg 2010-01-01T00:00:00Z",
    ),
    (
        "updates beyond 90 days",
        "/servicerequestupdates",
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
        "start_date and end_date may not span more than 90 days",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "params", "message"),
    [pytest.param(path, params, message, id=name) for name, path, params, message in GET_ERRORS],
)
def test_bad_query_parameters_are_400_in_the_spec_form(
    client: httpx.Client, fmt: str, path: str, params: dict[str, str], message: str
) -> None:
    assert single_error(client.get(f"{path}.{fmt}", params=params), fmt, 400) == message


def test_an_empty_parameter_counts_as_absent(client: httpx.Client) -> None:
    params = {"status": "", "start_date": "", "service_code": "", "jurisdiction_id": ""}
    assert client.get("/requests.json", params=params).status_code == 200
