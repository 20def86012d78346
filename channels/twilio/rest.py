"""One way to build the Twilio REST client, pointed at Twilio or at a server speaking its API.

`HOTLINE_TWILIO_API_BASE_URL` replaces `https://api.twilio.com` (tests run a local server that
answers like Twilio's Messages and Calls APIs); the SDK builds every URL itself, so the base is
swapped in the HTTP client, the one place all requests pass through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.settings import Settings

TWILIO_API = "https://api.twilio.com"
# The outbox row's key rides on every request made while it is set (`idempotent`): a retry of
# one notice is the same request to Twilio. Whether Twilio's Messages API dedupes on it is for
# the deployment to confirm with Twilio; the local stand-in in the tests does.
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
_idempotency_key: ContextVar[str] = ContextVar("twilio_idempotency_key", default="")


@contextmanager
def idempotent(key: str) -> Iterator[None]:
    """Requests made inside (on this thread, or one `asyncio.to_thread` starts) carry `key`."""
    token = _idempotency_key.set(key)
    try:
        yield
    finally:
        _idempotency_key.reset(token)


class TwilioNotConfigured(RuntimeError):
    def __str__(self) -> str:
        return (
            "Twilio is not configured: set HOTLINE_TWILIO_ACCOUNT_SID, HOTLINE_TWILIO_AUTH_TOKEN "
            "and HOTLINE_TWILIO_PHONE_NUMBER"
        )


class _IdempotentHttpClient(TwilioHttpClient):
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        key = _idempotency_key.get()
        if key:
            kwargs["headers"] = {**(kwargs.get("headers") or {}), IDEMPOTENCY_HEADER: key}
        return super().request(method, url, *args, **kwargs)


class _RebasedHttpClient(_IdempotentHttpClient):
    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client(settings: Settings) -> Client:
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise TwilioNotConfigured()
    http_client = None
    if settings.twilio_api_base_url.rstrip("/") != TWILIO_API:
        http_client = _RebasedHttpClient(settings.twilio_api_base_url, settings.twilio_timeout_s)
    else:
        http_client = _IdempotentHttpClient(timeout=settings.twilio_timeout_s)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)
