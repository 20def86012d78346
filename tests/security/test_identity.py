"""Defects 1, 2 and 11 of issue 13: identities, the open intake door and one-time codes.

Each test is the attack as it was sent to main over HTTP (signed Twilio webhooks and Telegram
updates included); each was seen succeeding there before the fix (a victim's case read,
written to, or its notices redirected) and is refused now.
"""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from intake.flows import start_case_workflow
from intake.schemas import Contact, Intake
from intake.service import accept_intake
from models import Case, CitizenIdentity
from models.api_key import create_api_key
from models.enums import Channel, IdentityKind, StaffRole
from tests.chat.conftest import Webhook
from tests.sms.phone import Phone, wait_for_sms
from tests.utils.cases import case_row, events
from tests.utils.factories import make_submission, unique_phone
from tests.utils.servers import serve
from tests.utils.staff import CHAOYANG, csrf_of, staff_headers
from tests.utils.telegram_api import Citizen, FakeTelegram
from tests.utils.twilio_api import FakeTwilio

NUMBER = re.compile(r"\d{8}-\d{6}")


def _number(text: str | None) -> str:
    found = NUMBER.search(text or "")
    assert found, text
    return found.group(0)


async def _dispatch(url: str, engine: Engine, number: str) -> None:
    headers = staff_headers(url, engine, StaffRole.dispatcher)
    async with httpx.AsyncClient(timeout=60) as http:
        answer = await http.post(
            f"{url}/api/v1/cases/{number}/dispatch", headers=headers, json={"unit_code": CHAOYANG}
        )
    assert answer.status_code == 200, answer.text


async def test_defect_1_a_request_naming_the_victims_phone_takes_over_nothing(
    sms_url: str, engine: Engine, twilio: FakeTwilio
) -> None:
    """Defect 1 (SMS): on main the email chain linked the attacker's phone to the victim, so
    the victim's "dispatched" notice went to the attacker and `CX` listed the victim's case."""
    victim, attacker = Phone(sms_url), Phone(sms_url)
    number = _number(await victim.text("我家楼上每天半夜装修，朝阳区望京西园三区5号楼1201"))
    email = f"chain-{uuid.uuid4().hex[:8]}@example.com"
    async with httpx.AsyncClient(base_url=sms_url, timeout=60) as http:
        for phone in (victim.number, attacker.number):  # the two-step email chain
            body = make_submission(contact={"phone": phone, "email": email})
            assert (await http.post("/api/v1/requests", json=body)).status_code == 201
    await _dispatch(sms_url, engine, number)
    [notice] = await wait_for_sms(twilio, victim.number)
    assert number in notice["Body"]
    listed = await attacker.text("CX")
    assert number not in (listed or "")
    assert all(number not in m["Body"] for m in twilio.messages_to(attacker.number))
    with Session(engine) as session:
        owners = session.exec(
            select(CitizenIdentity).where(
                col(CitizenIdentity.value).in_([victim.number, attacker.number, email])
            )
        ).all()
    # Only what Twilio's signature proved is an identity: the requests' contacts joined none.
    assert {(o.kind, o.value) for o in owners} == {(IdentityKind.phone, victim.number)}


async def test_defect_1_a_chat_named_beside_the_victims_phone_cannot_add_to_their_case(
    chat_api: str,
    chat_settings: Settings,
    webhook: Webhook,
    telegram: FakeTelegram,
    engine: Engine,
    temporal_client: Client,
) -> None:
    """Defect 1 (Telegram): on main `{phone: victim, telegram_chat_id: attacker}` linked the
    attacker's chat to the victim, and `/add <number>` then wrote into the victim's case."""
    victim_phone, attacker = unique_phone(), Citizen()
    victims = accept_intake(  # the victim's own SMS, as the SMS adapter files it
        engine=engine,
        intake=Intake(
            channel=Channel.sms,
            description="楼下烧烤摊油烟太大",
            contact=Contact(phone=victim_phone),
            intake_key=f"SM{uuid.uuid4().hex}",
        ),
        settings=chat_settings,
        proved=IdentityKind.phone,
    ).case
    await start_case_workflow(client=temporal_client, settings=chat_settings, case=victims)
    body = make_submission(
        contact={"phone": victim_phone, "telegram_chat_id": str(attacker.chat_id)}
    )
    async with httpx.AsyncClient(timeout=60) as http:
        assert (await http.post(f"{chat_api}/api/v1/requests", json=body)).status_code == 201
    assert await webhook.deliver(attacker.says(f"/add {victims.number}")) == 200
    refused = await telegram.wait_async(
        lambda: [t for t in telegram.texts_to(attacker.chat_id) if victims.number in t],
        "answered the /add",
    )
    assert refused == [f"没有编号为 {victims.number} 的案件。"]
    assert await webhook.deliver(attacker.says("这是攻击者写进去的话")) == 200
    await telegram.wait_async(
        lambda: len(telegram.texts_to(attacker.chat_id)) > 1, "answered the next text"
    )
    assert all("已补充" not in t for t in telegram.texts_to(attacker.chat_id))
    assert [e for e in events(engine, victims.number) if e.kind == "citizen_details"] == []


async def test_defect_2_anonymous_callers_cannot_choose_channel_actor_urgency_or_key(
    api_url: str, engine: Engine, settings: Settings
) -> None:
    """Defect 2: on main an anonymous POST chose `channel` (even staff), `actor`, `urgency` and
    `intake_key`; a Telegram key `tg:<chat>:<message>` returned that victim's case text."""
    victims = accept_intake(
        engine=engine,
        intake=Intake(
            channel=Channel.chat,
            description="我住在望京西园三区5号楼1201，楼道里有人吸毒",
            address="望京西园三区5号楼1201",
            contact=Contact(telegram_chat_id="700700"),
            intake_key=f"tg:700700:{uuid.uuid4().int % 1000}",
        ),
        settings=settings,
        proved=IdentityKind.telegram,
    ).case
    attempts = [
        ({"channel": "chat", "intake_key": victims.intake_key}, 403),
        ({"intake_key": victims.intake_key}, 403),
        ({"channel": "staff"}, 403),
        ({"urgency": "urgent"}, 403),
        ({"actor": "dispatcher-1"}, 422),
    ]
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        for extra, status in attempts:
            answer = await http.post("/api/v1/requests", json=make_submission(**extra))
            assert answer.status_code == status, (extra, answer.text)
            assert "望京西园" not in answer.text
        plain = await http.post("/api/v1/requests", json=make_submission())
    assert plain.status_code == 201
    assert set(plain.json()) == {"number", "status", "created_at"}  # nothing of the contents
    filed = case_row(engine, plain.json()["number"])
    assert (filed.channel, filed.urgency) == ("web", "normal")
    assert [e.actor for e in events(engine, filed.number)] == ["citizen"]


async def test_defect_2_an_integrations_keys_live_in_its_own_namespace(
    api_url: str, engine: Engine
) -> None:
    """Defect 2: a repeated key answers only the case number its own integration made."""
    ours = create_api_key(
        engine=engine, name=f"partner {uuid.uuid4().hex[:6]}", channel=Channel.web
    )
    theirs = create_api_key(
        engine=engine, name=f"other {uuid.uuid4().hex[:6]}", channel=Channel.web
    )
    key = f"ticket-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        first = await http.post(
            "/api/v1/requests",
            json=make_submission(intake_key=key, description="井盖丢了，东三环辅路"),
            headers={"X-API-Key": ours.secret},
        )
        again = await http.post(
            "/api/v1/requests",
            json=make_submission(intake_key=key),
            headers={"X-API-Key": ours.secret},
        )
        other = await http.post(
            "/api/v1/requests",
            json=make_submission(intake_key=key),
            headers={"X-API-Key": theirs.secret},
        )
        as_chat = await http.post(
            "/api/v1/requests",
            json=make_submission(channel="chat"),
            headers={"X-API-Key": ours.secret},
        )
        forged = await http.post(
            "/api/v1/requests", json=make_submission(), headers={"X-API-Key": "h311_forged"}
        )
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["number"] == first.json()["number"] != other.json()["number"]
    assert "井盖" not in again.text
    assert as_chat.status_code == 403
    assert as_chat.json() == {
        "detail": f"the key of {ours.key.name} files requests as channel 'web', not 'chat'"
    }
    assert forged.status_code == 401
    assert events(engine, first.json()["number"])[0].actor == f"api:{ours.key.name}"


async def test_defect_11_the_one_time_code_reaches_the_cases_own_phone_and_no_one_floods(
    sms_url: str, sms_settings: Settings, engine: Engine, twilio: FakeTwilio
) -> None:
    """Defect 11: on main the code was never sent (the API built no notifier); and once sent,
    anyone could have had codes texted for every case."""
    phone = unique_phone()
    async with httpx.AsyncClient(base_url=sms_url, timeout=60) as http:
        created = await http.post(
            "/api/v1/requests", json=make_submission(contact={"phone": phone})
        )
        number = created.json()["number"]
        page = await http.get("/track", params={"number": number})
        token = csrf_of(page.text)
        # The public base is https, so the cookies are Secure: carried by hand over plain http.
        cookies = {"Cookie": "; ".join(f"{k}={v}" for k, v in page.cookies.items())}
        sent = await http.post(f"/track/{number}/code", data={"csrf_token": token}, headers=cookies)
        assert sent.status_code == 200
        [message] = await wait_for_sms(twilio, phone)
        code = re.findall(r"\b\d{6}\b", message["Body"].replace(number, ""))
        cookies["Cookie"] += "; " + "; ".join(f"{k}={v}" for k, v in sent.cookies.items())
        right = await http.post(
            f"/track/{number}/details", data={"csrf_token": token, "code": code[0]}, headers=cookies
        )
        assert right.status_code == 303
        others = [
            (await http.post("/api/v1/requests", json=make_submission())).json()["number"]
            for _ in range(4)
        ]
    # A stranger asking for codes for case after case is stopped at their address (one of their
    # own behind the trusted proxy, so the suite's other tests keep theirs).
    strict = sms_settings.model_copy(
        update={"details_codes_per_address": 3, "trusted_proxies": "127.0.0.1"}
    )
    stranger = {**cookies, "X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    with serve(create_app(strict), trusted_proxies=["127.0.0.1"]) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            floods = [
                (
                    await http.post(
                        f"/track/{other}/code", data={"csrf_token": token}, headers=stranger
                    )
                ).status_code
                for other in others
            ]
    assert floods == [200, 200, 200, 429]
    with Session(engine) as session:
        assert session.exec(select(Case).where(Case.number == number)).one().citizen_id is None


async def test_an_open311_client_cannot_write_into_a_case_of_another_channel(
    api_url: str, engine: Engine
) -> None:
    """Noticed with defect 4: any Open311 key could POST servicerequestupdates into an SMS or
    web citizen's case (main added the text to the victim's timeline)."""
    key = create_api_key(engine=engine, name=f"fms {uuid.uuid4().hex[:6]}").secret
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as http:
        number = (await http.post("/api/v1/requests", json=make_submission())).json()["number"]
        answer = await http.post(
            "/open311/v2/servicerequestupdates.json",
            data={
                "api_key": key,
                "service_request_id": number,
                "update_id": "u-1",
                "status": "OPEN",
                "updated_datetime": "2026-11-25T10:00:00+08:00",
                "description": "不是我的案件，但我想写进去",
            },
        )
    assert answer.status_code == 404
    assert answer.json() == [
        {"code": 404, "description": f"service_request_id '{number}' was not found"}
    ]
    assert [e for e in events(engine, number) if e.kind == "citizen_details"] == []
