"""POST requests: a form-encoded request with an api_key becomes one case, once."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from models import Case, CaseContact
from models.api_key import create_api_key, revoke_api_keys
from models.enums import Channel
from tests.open311.conftest import (
    DISTRICT,
    FORMATS,
    LEAF,
    STREET,
    form,
    single_error,
    xml_items,
)
from tests.utils.cases import case_row, event_kinds
from tests.utils.factories import unique_phone
from tests.utils.servers import free_port, serve


def _created(response: httpx.Response, fmt: str) -> dict[str, str | None]:
    assert response.status_code == 200, response.text
    [item] = response.json() if fmt == "json" else xml_items(response, "service_requests")
    assert set(item) == {"service_request_id", "token", "service_notice", "account_id"}
    return item


def _case_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Case)).one()


@pytest.mark.parametrize("fmt", FORMATS)
async def test_post_records_a_case_and_starts_its_workflow(
    client: httpx.Client, engine: Engine, temporal_client: Client, api_key: str, fmt: str
) -> None:
    item = _created(client.post(f"/requests.{fmt}", data=form(api_key)), fmt)
    number = item["service_request_id"]
    assert number is not None
    case = case_row(engine, number)
    assert (case.channel, case.category_code, case.status) == (Channel.open311, LEAF, "accepted")
    assert (case.latitude, case.longitude) == (39.9219, 116.4436)
    assert case.intake_key == item["token"]
    assert event_kinds(engine, number) == ["accepted"]
    description = await temporal_client.get_workflow_handle(number).describe()
    assert description.workflow_type == "CaseWorkflow"
    assert item["service_notice"] == f"您的诉求已受理，编号 {number}，承办单位将与您联系。"


def test_a_retried_post_answers_with_the_first_case(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    fields = form(api_key)
    first = _created(client.post("/requests.json", data=fields), "json")
    before = _case_count(engine)
    again = _created(client.post("/requests.xml", data=fields), "xml")
    assert again["service_request_id"] == first["service_request_id"]
    assert again["token"] == first["token"]
    assert _case_count(engine) == before


def test_the_idempotency_key_header_makes_one_case_of_differing_retries(
    client: httpx.Client, api_key: str
) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = _created(client.post("/requests.json", data=form(api_key), headers=headers), "json")
    again = _created(client.post("/requests.json", data=form(api_key), headers=headers), "json")
    assert again["service_request_id"] == first["service_request_id"]


def test_the_same_form_from_two_clients_makes_two_cases(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    other = create_api_key(engine=engine, name="another client").secret
    fields = form(api_key)
    first = _created(client.post("/requests.json", data=fields), "json")
    second = _created(client.post("/requests.json", data={**fields, "api_key": other}), "json")
    assert first["service_request_id"] != second["service_request_id"]


def test_attributes_set_the_request_type_urgency_and_language(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    fields = form(
        api_key,
        **{
            "attribute[request_type]": "report",
            "attribute[urgency]": "urgent",
            "attribute[language]": "en",
        },
    )
    item = _created(client.post("/requests.json", data=fields), "json")
    case = case_row(engine, str(item["service_request_id"]))
    assert (case.type, case.urgency, case.language) == ("report", "urgent", "en")
    assert item["service_notice"] == (
        f"Your request is case {case.number}; the responsible unit will be in touch."
    )
    assert case.extra["open311"]["attributes"] == {
        "request_type": "report",
        "urgency": "urgent",
        "language": "en",
    }


def test_address_id_names_a_street_and_its_district(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    fields = form(api_key, lat=None, long=None, address_id=STREET)
    case = case_row(
        engine,
        str(_created(client.post("/requests.json", data=fields), "json")["service_request_id"]),
    )
    assert (case.street_code, case.district_code, case.latitude) == (STREET, DISTRICT, None)


def test_address_string_alone_is_a_location(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    fields = form(api_key, lat=None, long=None, address_string="朝阳区建国门外大街1号")
    number = str(_created(client.post("/requests.json", data=fields), "json")["service_request_id"])
    assert case_row(engine, number).address == "朝阳区建国门外大街1号"


def test_contact_fields_stay_on_the_case_unproved_and_client_fields_are_kept(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    phone = unique_phone()
    email = f"wei.{phone[-8:]}@example.com"
    fields = form(
        api_key,
        first_name="Wei",
        last_name="Zhang",
        phone=phone,
        email=email,
        device_id="device-7",
        account_id="acct-9",
        media_url="https://photos.example.com/1.jpg",
    )
    item = _created(client.post("/requests.json", data=fields), "json")
    assert item["account_id"] == "acct-9"
    case = case_row(engine, str(item["service_request_id"]))
    with Session(engine) as session:
        contacts = session.exec(
            select(CaseContact.kind, CaseContact.value, CaseContact.proved).where(
                CaseContact.case_id == case.id
            )
        ).all()
    # An integration proves nobody's identity: the contacts reach this case only.
    assert case.citizen_id is None
    assert case.contact_name == "Wei Zhang"
    assert set(contacts) == {("phone", phone, False), ("email", email, False)}
    kept = case.extra["open311"]
    assert (kept["client"], kept["device_id"], kept["media_url"]) == (
        "conformance suite",
        "device-7",
        "https://photos.example.com/1.jpg",
    )
    assert event_kinds(engine, case.number) == ["accepted"]


def test_an_empty_description_takes_the_service_name(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    fields = form(api_key, description="", address_string=f"test {unique_phone()}")
    number = str(_created(client.post("/requests.json", data=fields), "json")["service_request_id"])
    assert case_row(engine, number).description == "事故处理"


# ---- errors: nothing is recorded and the answer says what to fix --------------------------

LONG = "长" * 4001
ERRORS: list[tuple[str, dict[str, str | None], int, str]] = [
    ("no api_key", {"api_key": None}, 403, "api_key was not provided"),
    ("bad api_key", {"api_key": "h311_guess"}, 403, "api_key is not valid (unknown or revoked)"),
    ("no service_code", {"service_code": None}, 400, "service_code was not provided"),
    (
        "unknown service",
        {"service_code": "99.99.999"},
        404,
        "service_code '99.99.999' was not found",
    ),
    ("group as service", {"service_code": "01.01"}, 404, "service_code '01.01' was not found"),
    (
        "no location",
        {"lat": None, "long": None},
        400,
        "a location is required: lat and long, or address_string, or address_id",
    ),
    ("lat without long", {"long": None}, 400, "lat and long must be sent together"),
    ("lat not a number", {"lat": "north"}, 400, "lat 'north' is not a number within ±90"),
    ("long out of range", {"long": "181"}, 400, "long '181' is not a number within ±180"),
    ("lat not finite", {"lat": "nan"}, 400, "lat 'nan' is not a number within ±90"),
    (
        "unknown coordinate_system",
        {"coordinate_system": "utm"},
        400,
        "coordinate_system 'utm' is not one of wgs84, gcj02, bd09",
    ),
    (
        "coordinate_system in capitals",
        {"coordinate_system": "GCJ02"},
        400,
        "coordinate_system 'GCJ02' is not one of wgs84, gcj02, bd09",
    ),
    (
        "two coordinate_systems",
        {"coordinate_system": ["gcj02", "bd09"]},  # type: ignore[dict-item]
        400,
        "coordinate_system was given 2 different values; give one",
    ),
    (
        "unknown address_id",
        {"address_id": "999"},
        400,
        "address_id '999' is not a known street or district code",
    ),
    (
        "unknown attribute",
        {"attribute[colour]": "red"},
        400,
        "unknown attribute 'colour'; this service takes request_type, urgency, language",
    ),
    (
        "bad attribute value",
        {"attribute[urgency]": "yesterday"},
        400,
        "attribute[urgency] 'yesterday' is not one of normal, urgent",
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
        "description too long",
        {"description": LONG},
        400,
        "description: the description has 4001 characters; the limit is 4000",
    ),
    ("bad phone", {"phone": "12"}, 400, "phone: '12' is not a valid phone number"),
    (
        "address too long",
        {"address_string": "路" * 501},
        400,
        "address_string: String should have at most 500 characters",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [pytest.param(fields, status, message, id=name) for name, fields, status, message in ERRORS],
)
def test_a_bad_post_is_refused_with_the_spec_error_and_records_nothing(
    client: httpx.Client,
    engine: Engine,
    api_key: str,
    fmt: str,
    fields: dict[str, str | None],
    status: int,
    message: str,
) -> None:
    before = _case_count(engine)
    response = client.post(f"/requests.{fmt}", data=form(api_key, **fields))
    assert single_error(response, fmt, status) == message
    assert _case_count(engine) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_refused_with_403(client: httpx.Client, engine: Engine, fmt: str) -> None:
    secret = create_api_key(engine=engine, name=f"leaked-{fmt}").secret
    assert client.post(f"/requests.{fmt}", data=form(secret)).status_code == 200
    revoke_api_keys(engine=engine, name_or_prefix=f"leaked-{fmt}")
    response = client.post(f"/requests.{fmt}", data=form(secret))
    assert single_error(response, fmt, 403) == "api_key is not valid (unknown or revoked)"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_json_body_is_refused_as_not_form_encoded(
    client: httpx.Client, api_key: str, fmt: str
) -> None:
    response = client.post(f"/requests.{fmt}", json=form(api_key))
    message = "send the request as application/x-www-form-urlencoded, not application/json"
    assert single_error(response, fmt, 400) == message


def test_the_api_key_may_come_in_the_query_string(client: httpx.Client, api_key: str) -> None:
    fields = form(api_key, api_key=None)
    response = client.post("/requests.json", params={"api_key": api_key}, data=fields)
    assert response.status_code == 200, response.text


def test_xml_special_characters_and_control_characters_survive(
    client: httpx.Client, engine: Engine, api_key: str
) -> None:
    text = 'A <b>&amp;</b> "quoted" ]]> and a bell \x07 ' + unique_phone()[-4:]
    item = _created(client.post("/requests.xml", data=form(api_key, description=text)), "xml")
    number = str(item["service_request_id"])
    [request] = xml_items(client.get(f"/requests/{number}.xml"), "service_requests")
    assert request["description"] == text.replace("\x07", "")
    assert client.get(f"/requests/{number}.json").json()[0]["description"] == text


async def test_twenty_concurrent_identical_posts_make_one_case(
    api_url: str, engine: Engine, api_key: str
) -> None:
    fields = form(api_key)
    async with httpx.AsyncClient(base_url=f"{api_url}/open311/v2", timeout=120) as client:
        responses = await asyncio.gather(
            *(client.post("/requests.json", data=fields) for _ in range(20))
        )
    assert {response.status_code for response in responses} == {200}
    numbers = {response.json()[0]["service_request_id"] for response in responses}
    assert len(numbers) == 1
    with Session(engine) as session:
        count = session.exec(
            select(func.count()).select_from(Case).where(col(Case.number).in_(numbers))
        ).one()
    assert count == 1
    assert event_kinds(engine, numbers.pop()) == ["accepted"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_with_temporal_down_the_case_waits_and_a_retry_starts_its_workflow(
    settings: Settings,
    api_url: str,
    engine: Engine,
    temporal_client: Client,
    api_key: str,
    fmt: str,
) -> None:
    dead = settings.model_copy(
        update={"temporal_address": f"127.0.0.1:{free_port()}", "temporal_connect_timeout_s": 1.0}
    )
    fields = form(api_key)
    with serve(create_app(dead)) as down_url:
        response = httpx.post(f"{down_url}/open311/v2/requests.{fmt}", data=fields, timeout=60)
    description = single_error(response, fmt, 503)
    assert description.startswith(f"Temporal at {dead.temporal_address} is not reachable")
    assert response.headers["retry-after"] == "30"
    with Session(engine) as session:
        waiting = session.exec(select(Case).where(Case.description == fields["description"])).one()
    retried = httpx.post(f"{api_url}/open311/v2/requests.{fmt}", data=fields, timeout=60)
    assert _created(retried, fmt)["service_request_id"] == waiting.number
    described = await temporal_client.get_workflow_handle(waiting.number).describe()
    assert described.workflow_type == "CaseWorkflow"
