"""One API with every webhook channel configured (Twilio SMS and voice, Telegram), against local
servers speaking Twilio's and Telegram's APIs and a case worker on its own task queue, so the
fuzzers and the duplicate-delivery test reach the channels' parsing as the providers would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import pytest_asyncio
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.utils.servers import serve
from tests.utils.telegram_api import TOKEN, FakeTelegram, fake_telegram
from tests.utils.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    FakeTwilio,
    fake_twilio,
)
from workflows.worker import build_worker

PUBLIC = "https://hotline.example.gov.cn"
TELEGRAM_SECRET = "fuzz-webhook-secret_0123456789"


@pytest.fixture(scope="session")
def channel_twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


@pytest.fixture(scope="session")
def channel_telegram() -> Iterator[FakeTelegram]:
    with fake_telegram() as server:
        yield server


@pytest.fixture(scope="session")
def channel_settings(
    settings: Settings, channel_twilio: FakeTwilio, channel_telegram: FakeTelegram
) -> Settings:
    """No speech model: a media stream that starts falls back to recording (closes cleanly)."""
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "twilio_api_base_url": channel_twilio.url,
            "public_base_url": PUBLIC,
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": channel_telegram.url,
            "telegram_webhook_secret": TELEGRAM_SECRET,
            "telegram_redis_url": "",
            "speech_models": {},
            "temporal_task_queue": f"fuzz-{uuid.uuid4().hex[:8]}",
        }
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def channel_worker(
    channel_settings: Settings, temporal_client: Client
) -> AsyncIterator[None]:
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(temporal_client, channel_settings, executor=executor):
            yield


@pytest.fixture(scope="session")
def channels_url(
    channel_settings: Settings, channel_twilio: FakeTwilio, channel_worker: None
) -> Iterator[str]:
    with serve(create_app(channel_settings)) as url:
        channel_twilio.forward[PUBLIC] = url
        yield url
