"""The intake service: numbering, idempotency, one citizen per person, and refusals."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from core.settings import Settings
from intake.errors import IntakeRejected
from intake.schemas import Contact
from intake.service import accept_intake
from models import Case, CaseContact, CaseEvent, CaseNumberCounter, Citizen, CitizenIdentity
from models.enums import Channel, IdentityKind, Language, StaffRole
from tests.utils.factories import make_intake, make_submission, unique_key, unique_phone
from tests.utils.staff import staff_headers


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Case, CaseEvent, CaseContact, Citizen, CitizenIdentity)
        } | {"counter": sum(session.exec(select(CaseNumberCounter.last)).all())}


def test_case_number_is_the_local_date_then_a_sequence(engine: Engine, settings: Settings) -> None:
    late_evening_utc = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 01:30 on the 23rd in Beijing
    first = accept_intake(
        engine=engine, intake=make_intake(), settings=settings, clock=lambda: late_evening_utc
    ).case
    second = accept_intake(
        engine=engine, intake=make_intake(), settings=settings, clock=lambda: late_evening_utc
    ).case
    assert re.fullmatch(r"20261123-\d{6}", first.number)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert sorted([second.number, first.number]) == [first.number, second.number]


def test_accepted_case_has_one_accepted_event(engine: Engine, settings: Settings) -> None:
    case = accept_intake(engine=engine, intake=make_intake(), settings=settings).case
    with Session(engine) as session:
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [(e.kind, e.to_status, e.actor) for e in events] == [("accepted", "accepted", "citizen")]


def test_same_intake_key_twice_returns_the_first_case(engine: Engine, settings: Settings) -> None:
    intake = make_intake(channel=Channel.sms)
    first = accept_intake(engine=engine, intake=intake, settings=settings)
    again = accept_intake(engine=engine, intake=intake, settings=settings)
    assert (first.created, again.created) == (True, False)
    assert again.case.number == first.case.number


async def test_twenty_concurrent_duplicate_submissions_make_exactly_one_case(
    api_url: str, engine: Engine, integration_headers: dict[str, str]
) -> None:
    key = unique_key()
    body = make_submission(intake_key=key)
    async with httpx.AsyncClient(base_url=api_url, timeout=60, headers=integration_headers) as http:
        responses = await asyncio.gather(
            *(http.post("/api/v1/requests", json=body) for _ in range(20))
        )
    assert sorted({r.status_code for r in responses}) in ([200, 201], [201])
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["number"] for r in responses}) == 1
    with Session(engine) as session:
        cases = session.exec(select(Case).where(col(Case.intake_key).endswith(f":{key}"))).all()
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == cases[0].id)).all()
    assert len(cases) == 1
    assert len(events) == 1


def test_a_proved_contact_finds_its_citizen_again(engine: Engine, settings: Settings) -> None:
    phone = unique_phone()
    first, again = (
        accept_intake(
            engine=engine,
            intake=make_intake(channel=Channel.sms, contact=Contact(phone=phone)),
            settings=settings,
            proved=IdentityKind.phone,
        ).case
        for _ in range(2)
    )
    assert first.citizen_id is not None
    assert first.citizen_id == again.citizen_id


def test_contacts_given_beside_a_proved_one_join_no_identity(
    engine: Engine, settings: Settings
) -> None:
    phone = unique_phone()
    chat_id = str(abs(hash(phone)) % 10**10)
    by_phone = accept_intake(
        engine=engine,
        intake=make_intake(channel=Channel.voice, contact=Contact(phone=phone)),
        settings=settings,
        proved=IdentityKind.phone,
    ).case
    # A Telegram request that also types the phone: only the chat is proved by the channel.
    by_chat = accept_intake(
        engine=engine,
        intake=make_intake(
            channel=Channel.chat, contact=Contact(phone=phone, telegram_chat_id=chat_id)
        ),
        settings=settings,
        proved=IdentityKind.telegram,
    ).case
    assert None not in (by_phone.citizen_id, by_chat.citizen_id)
    assert by_phone.citizen_id != by_chat.citizen_id
    with Session(engine) as session:
        identities = session.exec(
            select(CitizenIdentity).where(CitizenIdentity.citizen_id == by_chat.citizen_id)
        ).all()
        contacts = session.exec(select(CaseContact).where(CaseContact.case_id == by_chat.id)).all()
    assert {(i.kind, i.value, i.proved_by) for i in identities} == {
        (IdentityKind.telegram, chat_id, "chat")
    }
    assert {(c.kind, c.value, c.proved, c.arrived_on) for c in contacts} == {
        (IdentityKind.telegram, chat_id, True, True),
        (IdentityKind.phone, phone, False, False),
    }


def test_a_web_request_makes_no_citizen_and_keeps_its_contacts_on_the_case(
    engine: Engine, settings: Settings
) -> None:
    case = accept_intake(
        engine=engine,
        intake=make_intake(contact=Contact(name="王女士", phone=unique_phone())),
        settings=settings,
    ).case
    with Session(engine) as session:
        contacts = session.exec(select(CaseContact).where(CaseContact.case_id == case.id)).all()
    assert case.citizen_id is None
    assert case.contact_name == "王女士"
    assert [(c.kind, c.proved) for c in contacts] == [(IdentityKind.phone, False)]


def test_phone_numbers_are_normalised_to_e164(engine: Engine, settings: Settings) -> None:
    national = unique_phone().removeprefix("+86")
    case = accept_intake(
        engine=engine, intake=make_intake(contact=Contact(phone=national)), settings=settings
    ).case
    with Session(engine) as session:
        contact = session.exec(select(CaseContact).where(CaseContact.case_id == case.id)).one()
    assert contact.value == f"+86{national}"


def test_anonymous_request_has_no_citizen(engine: Engine, settings: Settings) -> None:
    case = accept_intake(
        engine=engine, intake=make_intake(contact=Contact()), settings=settings
    ).case
    assert case.citizen_id is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": "   "}, "description", "describe the problem: the description is empty"),
        (
            {"description": "很" * 4001},
            "description",
            "the description has 4001 characters; the limit is 4000",
        ),
        ({"category_code": "99.99.999"}, "category_code", "unknown category '99.99.999'"),
        ({"district_code": "999999"}, "district_code", "unknown district '999999'"),
        (
            {"contact": Contact(phone="12345")},
            "contact.phone",
            "'12345' is not a valid phone number",
        ),
        ({"contact": Contact(phone="call me")}, "contact.phone", "'call me' is not a phone number"),
        (
            {"contact": Contact(email="not-an-email")},
            "contact.email",
            "'not-an-email' is not an email address",
        ),
        ({"latitude": 39.9}, "latitude", "give both latitude and longitude, or neither"),
    ],
)
def test_bad_input_is_rejected_with_nothing_written(
    engine: Engine, settings: Settings, overrides: dict[str, object], field: str, message: str
) -> None:
    before = _counts(engine)
    with pytest.raises(IntakeRejected) as rejected:
        accept_intake(engine=engine, intake=make_intake(**overrides), settings=settings)
    assert (rejected.value.field, rejected.value.message) == (field, message)
    assert rejected.value.said_in(Language.en) == message
    chinese = rejected.value.said_in(Language.zh)  # what the web form and the chat show
    assert chinese != message and re.search(r"[\u4e00-\u9fff]", chinese)
    assert _counts(engine) == before


def test_api_rejects_bad_input_with_422_and_the_reason(api_url: str, engine: Engine) -> None:
    before = _counts(engine)
    body = make_submission(category_code="nope")
    response = httpx.post(f"{api_url}/api/v1/requests", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": "unknown category 'nope'", "field": "category_code"}
    assert _counts(engine) == before


def test_api_rejects_malformed_json_fields_with_422(api_url: str, engine: Engine) -> None:
    before = _counts(engine)
    response = httpx.post(
        f"{api_url}/api/v1/requests",
        json={"channel": "fax", "description": "x", "latitude": 200, "actor": "dispatcher-1"},
    )
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "channel"),
        ("body", "latitude"),
        ("body", "actor"),
    }
    assert _counts(engine) == before


def test_api_returns_case_with_timeline(api_url: str, engine: Engine) -> None:
    created = httpx.post(f"{api_url}/api/v1/requests", json=make_submission())
    number = created.json()["number"]
    headers = staff_headers(api_url, engine, StaffRole.dispatcher)
    detail = httpx.get(f"{api_url}/api/v1/cases/{number}", headers=headers)
    assert detail.status_code == 200
    assert detail.json()["case"]["status"] == "accepted"
    assert [e["kind"] for e in detail.json()["timeline"]] == ["accepted"]
    assert "citizen_id" not in detail.json()["case"]


def test_api_unknown_case_is_404(api_url: str, engine: Engine) -> None:
    headers = staff_headers(api_url, engine, StaffRole.dispatcher)
    response = httpx.get(f"{api_url}/api/v1/cases/19990101-000001", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "no case numbered '19990101-000001'"}
