"""The Telegram channel against real parts: a local Bot API server, the API serving the
webhook, and a case worker whose notices go out through `TelegramNotifier` to that server."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from api.main import create_app
from channels.chat.webhook import PATH, SECRET_HEADER
from core.settings import Settings
from tests.utils.servers import serve
from tests.utils.telegram_api import TOKEN, FakeTelegram, fake_telegram
from workflows.worker import build_worker

SECRET = "test-webhook-secret_0123456789"
REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegram]:
    with fake_telegram() as server:
        yield server


@pytest.fixture(scope="session")
def chat_settings(settings: Settings, telegram: FakeTelegram) -> Settings:
    """The bot pointed at the local Bot API server, its cases on their own task queue.

    Conversations live in Redis when it answers (as with several API workers), else memory.
    """
    return settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": telegram.url,
            "telegram_webhook_secret": SECRET,
            "telegram_redis_url": "redis://127.0.0.1:6379/0" if _redis_answers() else "",
            "temporal_task_queue": f"chat-{uuid.uuid4().hex[:8]}",
        }
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chat_worker(chat_settings: Settings, temporal_client: Client) -> AsyncIterator[None]:
    """A case worker on the chat task queue; `build_worker` gives it the TelegramNotifier."""
    with ThreadPoolExecutor(max_workers=8) as executor:
        async with build_worker(temporal_client, chat_settings, executor=executor):
            yield


@pytest.fixture(scope="session")
def chat_api(chat_settings: Settings) -> Iterator[str]:
    with serve(create_app(chat_settings)) as url:
        yield url


class Webhook:
    """Telegram's side of the webhook: POST one update with the secret header."""

    def __init__(self, url: str) -> None:
        self.url = url + PATH

    async def deliver(self, update: dict[str, object], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with httpx.AsyncClient(timeout=60) as http:
            response = await http.post(self.url, json=update, headers=headers)
        return response.status_code


@pytest.fixture
def webhook(chat_api: str, chat_worker: None) -> Webhook:
    return Webhook(chat_api)
