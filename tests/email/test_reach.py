"""Which contact a web case's notices and one-time codes go to, with SMS and e-mail configured
(a local Twilio and a local SMTP server), and what the page says when nothing can deliver."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.sms.phone import wait_for_sms
from tests.utils.cases import resolve_through
from tests.utils.factories import unique_email, unique_phone
from tests.utils.servers import serve
from tests.utils.smtp_server import (
    SURVEY_LINK,
    RecordingSmtp,
    smtp_settings_for,
    survey_link_of,
)
from tests.utils.staff import csrf_of
from tests.utils.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    FakeTwilio,
    fake_twilio,
)
from workflows.worker import build_worker

PUBLIC = "http://hotline.example.gov.cn"  # http: the test client keeps its cookies


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


@pytest.fixture(scope="module")
def both_settings(settings: Settings, smtp_server: RecordingSmtp, twilio: FakeTwilio) -> Settings:
    return smtp_settings_for(settings, smtp_server).model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "twilio_api_base_url": twilio.url,
            "public_base_url": PUBLIC,
            "temporal_task_queue": f"hotline-reach-{uuid.uuid4().hex[:8]}",
        }
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def both_url(both_settings: Settings, temporal_client: Client) -> AsyncIterator[str]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(temporal_client, both_settings, executor=executor):
            with serve(create_app(both_settings)) as url:
                yield url


def _submit(url: str, **contact: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as citizen:
        page = citizen.get("/submit")
        data = {
            "csrf_token": csrf_of(page.text),
            "intake_key": uuid.uuid4().hex,
            "description": "楼下餐馆油烟很大。",
            **contact,
        }
        created = citizen.post("/submit", data=data)
        assert created.status_code == 303, created.text
        return created.headers["location"].split("/")[-1].split("?")[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_web_case_with_an_email_hears_by_email_and_one_with_a_phone_by_sms(
    both_url: str, smtp_server: RecordingSmtp, twilio: FakeTwilio, temporal_client: Client
) -> None:
    email, phone, only_phone = unique_email(), unique_phone(), unique_phone()
    with_email = _submit(both_url, email=email, phone=phone)
    with_phone = _submit(both_url, phone=only_phone)
    await resolve_through(temporal_client, with_email, "已责令整改。")
    await resolve_through(temporal_client, with_phone, "已责令整改。")
    mails = await smtp_server.wait_for(email, 3)  # dispatched, resolved, survey
    texts = await wait_for_sms(twilio, only_phone, 3)
    assert twilio.messages_to(phone) == []
    survey_sms = texts[-1]["Body"]
    found = SURVEY_LINK.search(survey_sms)  # the SMS survey carries the link too
    assert found and found.group(0).startswith(f"{PUBLIC}/survey/"), survey_sms
    assert survey_link_of(mails[-1]).startswith("/survey/")
    with httpx.Client(base_url=both_url, timeout=60, follow_redirects=True) as citizen:
        page = citizen.get(found.group(1))
    assert page.status_code == 200 and 'id="survey"' in page.text


@pytest.mark.asyncio(loop_scope="session")
async def test_the_code_goes_by_sms_to_the_cases_phone_and_the_page_says_where(
    both_url: str, twilio: FakeTwilio
) -> None:
    phone = unique_phone()
    number = _submit(both_url, phone=phone)
    with httpx.Client(base_url=both_url, timeout=60) as citizen:
        token = csrf_of(citizen.get("/track", params={"number": number}).text)
        sent = citizen.post(f"/track/{number}/code", data={"csrf_token": token, "phone": "x"})
        national = phone.removeprefix("+86")
        assert f"验证码已发送至 {national[:3]}****{national[-4:]}。" in sent.text
        assert national not in sent.text
        [text] = await wait_for_sms(twilio, phone)
        checked = citizen.post(
            f"/track/{number}/details",
            data={"csrf_token": token, "code": code_of_text(text["Body"], number)},
        )
        assert checked.status_code == 303


def code_of_text(body: str, number: str) -> str:
    [code] = re.findall(r"\b\d{6}\b", body.replace(number, ""))
    return code


def test_with_no_channel_configured_the_page_says_no_code_was_sent(api_url: str) -> None:
    """The session API configures neither SMS nor e-mail: the page must not claim a code."""
    for contact in ({"phone": unique_phone()}, {"email": unique_email()}):
        number = _submit(api_url, **contact)
        with httpx.Client(base_url=api_url, timeout=60) as citizen:
            token = csrf_of(citizen.get("/track", params={"number": number}).text)
            page = citizen.post(f"/track/{number}/code", data={"csrf_token": token})
        assert "暂时无法向本诉求留下的手机号码或电子邮箱发送验证码" in page.text
        assert "验证码已发送" not in page.text
    anonymous = _submit(api_url)
    with httpx.Client(base_url=api_url, timeout=60) as citizen:
        token = csrf_of(citizen.get("/track", params={"number": anonymous}).text)
        page = citizen.post(f"/track/{anonymous}/code", data={"csrf_token": token})
    assert "本诉求没有可接收验证码的手机号码或电子邮箱" in page.text
