"""Privacy by default on every public surface (defects 4 and 8 of issue 13), attacked as an
attacker would over HTTP: the tracker page, the feed, Open311's GET endpoints, Telegram
`/status`, SMS `CX` and the phone line's status key, each asked about someone else's case.

A stranger learns a case's category, area, status and dates, never what the citizen wrote
(description, address) nor the unit's reply. The owner, proved by the channel the question
came on (the case's phone or chat) or by the one-time code of `/track`, sees them all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from notices.port import NotifierRegistry
from tests.chat.conftest import Webhook
from tests.chat.test_webhook import _open_case
from tests.sms.phone import Phone
from tests.utils.factories import unique_phone
from tests.utils.notifiers import RecordingNotifier
from tests.utils.servers import serve
from tests.utils.speech import new_call_sid
from tests.utils.staff import csrf_of
from tests.utils.telegram_api import Citizen, FakeTelegram
from tests.voice.conftest import VoiceApi
from workflows.case import CaseWorkflow
from workflows.types import Dispatch, Resolve, UnitAction

CHAOYANG = "110105"
NUMBER = re.compile(r"\d{8}-\d{6}")


@dataclass(frozen=True)
class Secrets:
    """Texts only the case's citizen may read again, each unique to one test."""

    description: str
    address: str
    reply: str

    @classmethod
    def new(cls) -> Secrets:
        tag = uuid.uuid4().hex[:8]
        return cls(
            description=f"张伟家楼上漏水，泡坏了天花板{tag}",
            address=f"朝阳区幸福小区5号楼302室{tag}",
            reply=f"已约张伟在5号楼302室现场查看，物业负责维修{tag}",
        )

    def found_in(self, text: str) -> list[str]:
        """The secrets (or their tags) that a text gives away."""
        tag = self.reply[-8:]
        leaked = [s for s in (self.description, self.address, self.reply) if s in text]
        return leaked + (["tag"] if tag in text else [])


def _web_case(client: httpx.Client, secrets: Secrets, phone: str = "", **more: str) -> str:
    """The web form, filled in as a citizen does; the case number from the redirect."""
    page = client.get("/submit")
    form = {
        "csrf_token": csrf_of(page.text),
        "intake_key": uuid.uuid4().hex,
        "description": secrets.description,
        "address": secrets.address,
        "phone": phone,
        **more,
    }
    response = client.post("/submit", data=form)
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[-1].split("?")[0]


async def _sms_case(phone: Phone, secrets: Secrets) -> str:
    reply = await phone.text(f"{secrets.description}，地址{secrets.address}")
    assert reply is not None
    found = NUMBER.search(reply)
    assert found, reply
    return found.group()


async def _answered(temporal: Client, number: str, reply: str) -> None:
    """The unit's whole path to a reply, as staff drive it through the workflow."""
    handle = temporal.get_workflow_handle(number)
    await handle.execute_update(CaseWorkflow.dispatch, Dispatch("dispatcher-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.acknowledge, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.respond, UnitAction("handler-1", CHAOYANG))
    await handle.execute_update(CaseWorkflow.resolve, Resolve("handler-1", CHAOYANG, reply))


@pytest.fixture
def stranger(api_url: str) -> Iterator[httpx.Client]:
    """Anyone on the internet: no cookie, no key, only a case number."""
    with httpx.Client(base_url=api_url, timeout=60) as client:
        yield client


# ---- /track ------------------------------------------------------------------------------


async def test_a_stranger_cannot_read_the_reply_on_the_tracker(
    stranger: httpx.Client, temporal_client: Client
) -> None:
    """Defect 8 of issue 13: `/track?number=` showed the unit's reply (names, flat numbers)
    to anyone with the sequential case number. Now it shows status, category, area, dates."""
    secrets = Secrets.new()
    number = _web_case(stranger, secrets)
    await _answered(temporal_client, number, secrets.reply)

    page = stranger.get("/track", params={"number": number})
    assert page.status_code == 200
    assert 'id="status"' in page.text and "已办结" in page.text
    assert secrets.found_in(page.text) == []
    assert 'id="reply"' not in page.text


async def test_the_owner_reads_description_address_and_reply_after_the_one_time_code(
    sms_url: str, settings: Settings, temporal_client: Client
) -> None:
    """The case's own phone (proved: the citizen texted from it) gets the code that unlocks
    the details, the unit's reply among them."""
    secrets = Secrets.new()
    phone = Phone(sms_url)
    number = await _sms_case(phone, secrets)
    await _answered(temporal_client, number, secrets.reply)
    app = create_app(settings)
    notifier = RecordingNotifier()
    app.state.notifiers = NotifierRegistry(default=notifier)
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as owner:
        token = csrf_of(owner.get("/track", params={"number": number}).text)
        owner.post(f"/track/{number}/code", data={"csrf_token": token})
        [message] = notifier.sent
        assert message.address == phone.number
        [code] = re.findall(r"\b\d{6}\b", message.text.replace(number, ""))
        checked = owner.post(f"/track/{number}/details", data={"csrf_token": token, "code": code})
        assert checked.status_code == 303
        page = owner.get("/track", params={"number": number}).text
    assert secrets.description in page and secrets.reply in page
    assert 'id="reply"' in page


def test_the_feed_shows_no_text_of_any_case(stranger: httpx.Client) -> None:
    """`/feed` lists recent cases by number, date, category, area and status: nothing any
    citizen wrote, so nothing to redact."""
    secrets = Secrets.new()
    number = _web_case(stranger, secrets)
    feed = stranger.get("/feed").text
    assert number in feed
    assert secrets.found_in(feed) == []


def test_the_maps_nearby_cases_show_no_text_and_no_exact_point(stranger: httpx.Client) -> None:
    """`/map/nearby` (the report form's map) lists open cases near a pin like the feed does,
    with a point rounded to about 200 m: not where the citizen stood."""
    secrets = Secrets.new()
    exact = ("39.921234", "116.443219")
    phone = unique_phone()
    number = _web_case(stranger, secrets, phone, latitude=exact[0], longitude=exact[1])
    near = stranger.get("/map/nearby", params={"lat": exact[0], "lon": exact[1]}).text
    assert number in near
    assert secrets.found_in(near) == [] and phone not in near
    assert exact[0] not in near and exact[1] not in near
    assert stranger.get("/map/place", params={"lat": exact[0], "lon": exact[1]}).is_success


# ---- Open311 -----------------------------------------------------------------------------


def _open311_texts(client: httpx.Client, number: str) -> list[str]:
    """Everything Open311 says about one case, in every format and extension."""
    base = "/open311/v2"
    return [
        client.get(f"{base}/requests/{number}.json", params={"extensions": "true"}).text,
        client.get(f"{base}/requests/{number}.xml", params={"extensions": "true"}).text,
        client.get(f"{base}/requests.json", params={"service_request_id": number}).text,
        client.get(f"{base}/servicerequestupdates.json").text,
        client.get(f"{base}/servicerequestupdates.xml").text,
    ]


async def test_open311_publishes_no_text_of_a_web_or_sms_case(
    stranger: httpx.Client, sms_url: str, temporal_client: Client
) -> None:
    """Defect 4 of issue 13: `GET requests` published the description of every case of every
    channel and its `status_notes` the unit's reply (only phones, e-mails and ID numbers
    masked), undoing `/track`'s one-time code. A case that did not come in through Open311
    now shows its status, category, area and dates there, and no text."""
    web, sms = Secrets.new(), Secrets.new()
    web_number = _web_case(stranger, web, phone="")
    sms_number = await _sms_case(Phone(sms_url), sms)
    for number, secrets in ((web_number, web), (sms_number, sms)):
        await _answered(temporal_client, number, secrets.reply)

    for number, secrets in ((web_number, web), (sms_number, sms)):
        texts = _open311_texts(stranger, number)
        assert [secrets.found_in(text) for text in texts] == [[]] * len(texts)
        [request] = stranger.get(f"/open311/v2/requests/{number}.json").json()
        assert (request["status"], request["description"]) == ("closed", None)
        assert request["status_notes"] in {"已办结", "回访中"}  # a milestone, not the reply
        assert request["agency_responsible"] == "朝阳区"


# ---- Telegram ----------------------------------------------------------------------------


async def _status_answer(
    webhook: Webhook, telegram: FakeTelegram, citizen: Citizen, number: str
) -> str:
    before = len(telegram.texts_to(citizen.chat_id))
    assert await webhook.deliver(citizen.says(f"/status {number}")) == 200
    texts = await telegram.wait_async(
        lambda: (t := telegram.texts_to(citizen.chat_id)[before:]) and t, "answered /status"
    )
    answer: str = texts[0]
    return answer


async def test_a_chat_cannot_read_the_reply_of_someone_elses_case(
    webhook: Webhook, telegram: FakeTelegram, stranger: httpx.Client, temporal_client: Client
) -> None:
    """Defect 8 of issue 13: Telegram `/status <n>` answered any chat with the reply of case
    n. A chat that does not own the case now learns its status only."""
    secrets = Secrets.new()
    number = _web_case(stranger, secrets)
    await _answered(temporal_client, number, secrets.reply)

    answer = await _status_answer(webhook, telegram, Citizen(), number)
    assert answer.startswith(f"案件 {number}：")
    assert secrets.found_in(answer) == []


async def test_the_chat_that_opened_a_case_reads_its_reply(
    webhook: Webhook, telegram: FakeTelegram, temporal_client: Client
) -> None:
    citizen = Citizen()
    number = await _open_case(webhook, telegram, citizen)
    reply = f"路灯已更换{uuid.uuid4().hex[:8]}"
    await _answered(temporal_client, number, reply)
    answer = await _status_answer(webhook, telegram, citizen, number)
    assert reply in answer


# ---- SMS ---------------------------------------------------------------------------------


async def test_a_phone_cannot_read_the_reply_of_someone_elses_case_by_cx(
    sms_url: str, temporal_client: Client
) -> None:
    """Issue 13's rule for SMS: `CX <n>` from a phone that does not own case n never
    carries its reply (the SMS channel already kept others' cases to their owners; this
    keeps it so, through the one ownership rule), while the owner's phone gets it."""
    secrets = Secrets.new()
    owner = Phone(sms_url)
    number = await _sms_case(owner, secrets)
    await _answered(temporal_client, number, secrets.reply)

    for keyword in ("CX", "STATUS", "查询"):
        answer = await Phone(sms_url).text(f"{keyword} {number}")
        assert answer is not None and secrets.found_in(answer) == []
    own = await owner.text(f"CX {number}")
    assert own is not None and secrets.reply in own


# ---- the phone line ----------------------------------------------------------------------


async def test_a_caller_hears_the_reply_only_from_the_cases_own_phone(
    voice_api: VoiceApi, sms_url: str, temporal_client: Client
) -> None:
    """Key 3 on the phone line: any caller hears the status of the case keyed in; the
    unit's reply only a call from the phone that owns it (Twilio's signed `From`)."""
    secrets = Secrets.new()
    owner = Phone(sms_url)
    number = await _sms_case(owner, secrets)
    await _answered(temporal_client, number, secrets.reply)

    def status_call(caller: str) -> str:
        form: dict[str, Any] = {"CallSid": new_call_sid(), "From": caller}
        form["Digits"] = number.replace("-", "") + "#"
        response = voice_api.post("/twilio/voice/status?lang=zh", form)
        assert response.status_code == 200, response.text
        return response.text

    strangers = [status_call("+8613900000000"), status_call("anonymous")]
    assert ["目前的状态是" in said for said in strangers] == [True, True]
    assert [secrets.found_in(said) for said in strangers] == [[], []]
    assert secrets.reply in status_call(owner.number)
