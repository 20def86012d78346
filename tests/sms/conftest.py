"""The SMS channel against real parts: the API app over HTTP, a worker on its own task queue
sending through the twilio SDK to a local server speaking Twilio's API, the session Temporal."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import pytest_asyncio
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.sms.phone import PUBLIC
from tests.utils.servers import serve
from tests.utils.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    FakeTwilio,
    fake_twilio,
)
from workflows.worker import build_worker


@pytest.fixture(scope="session")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


@pytest.fixture(scope="session")
def sms_settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    """Twilio configured and pointed at the local server; its own task queue."""
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "twilio_api_base_url": twilio.url,
            "public_base_url": PUBLIC,
            "temporal_task_queue": f"hotline-sms-{uuid.uuid4().hex[:8]}",
        }
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sms_worker(sms_settings: Settings, temporal_client: Client) -> AsyncIterator[None]:
    """The case worker as `hotline worker` builds it: with Twilio configured it sends SMS."""
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(temporal_client, sms_settings, executor=executor):
            yield


@pytest.fixture(scope="session")
def sms_url(sms_settings: Settings, twilio: FakeTwilio, sms_worker: None) -> Iterator[str]:
    with serve(create_app(sms_settings)) as url:
        twilio.forward[PUBLIC] = url  # Twilio calls the public URL; here it is served locally
        yield url
