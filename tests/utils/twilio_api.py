"""A local HTTP server that answers like Twilio's REST API (Messages, Calls, Recordings).

Outbound SMS and calls go here in tests through the real twilio SDK (HOTLINE_TWILIO_API_BASE_URL),
so what is asserted is what Twilio would have received. Webhook requests *to* us are signed
with `channels.twilio.signature.sign`, exactly as Twilio signs them.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from channels.twilio.signature import sign
from tests.utils.servers import serve

ACCOUNT_SID = "AC" + "0" * 30
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
HOTLINE_NUMBER = "+8610012345"


@dataclass
class FakeTwilio:
    """What the server received, and a switch to make the next requests fail like Twilio does."""

    url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    recordings: dict[str, bytes] = field(default_factory=dict)  # RE... sid -> WAV bytes
    # Recordings streamed without a Content-Length (sid -> bytes to send), and how many bytes
    # of each were sent before the client stopped reading.
    streamed_recordings: dict[str, int] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)  # status codes for the next requests
    # Twilio error codes for the next requests, e.g. 21610: the recipient replied STOP.
    error_codes: list[int] = field(default_factory=list)
    # Delivery reports: Twilio calls a message's StatusCallback (a public URL); tests say where
    # that public base is really served, as a TLS proxy would forward it.
    forward: dict[str, str] = field(default_factory=dict)  # public base URL -> local base URL
    undeliverable: set[str] = field(default_factory=set)  # numbers whose texts fail (30003)
    # Requests per idempotency key (`I-Twilio-Idempotency-Token`): a repeated key gets the
    # first answer again and sends nothing, so `messages` holds each key once.
    requests_by_key: dict[str, int] = field(default_factory=dict)
    answers_by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Called (on a thread) with each new message before it is answered: a test's fault hook.
    on_message: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages_to(self, number: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["To"] == number]

    def calls_to(self, number: str) -> list[dict[str, str]]:
        with self.lock:
            return [c for c in self.calls if c["To"] == number]


def _authorised(request: Request) -> bool:
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    return request.headers.get("authorization", "") == f"Basic {expected}"


def _error(status: int, message: str, code: int | None = None) -> JSONResponse:
    body = {"code": code or 20000 + status, "message": message, "more_info": "", "status": status}
    return JSONResponse(body, status_code=status)


def _report_delivery(state: FakeTwilio, form: dict[str, str], sid: str) -> None:
    """Post `sent`, then `delivered` (or `undelivered`), signed, as Twilio does after a send."""
    callback = form["StatusCallback"]
    target = next(
        (
            local + callback[len(public) :]
            for public, local in state.forward.items()
            if callback.startswith(public)
        ),
        None,
    )
    if target is None:
        return
    final = "undelivered" if form.get("To") in state.undeliverable else "delivered"
    for status in ("sent", final):
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "From": form.get("From", ""),
            "To": form.get("To", ""),
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if status == "undelivered":
            params["ErrorCode"] = "30003"
        signature = sign(callback, params, AUTH_TOKEN)
        for _ in range(50):  # like Twilio, retry while our side is not answering yet
            try:
                httpx.post(target, data=params, headers={"X-Twilio-Signature": signature})
                break
            except httpx.TransportError:
                time.sleep(0.1)


async def _stream(state: FakeTwilio, key: str, size: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        chunk = bytes(min(64 * 1024, size - sent))
        sent += len(chunk)
        with state.lock:
            state.served[key] = sent
        yield chunk
        await asyncio.sleep(0)  # let a client's hang-up stop the stream here, as it would Twilio


def build_app(state: FakeTwilio) -> FastAPI:
    app = FastAPI()
    base = "/2010-04-01/Accounts/{account}"

    def now() -> str:
        return format_datetime(datetime.now(UTC), usegmt=False)

    def resource(kind: str, sid: str, account: str, form: dict[str, str]) -> dict[str, Any]:
        return {
            "sid": sid,
            "account_sid": account,
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "date_created": now(),
            "date_updated": now(),
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/{kind}/{sid}.json",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
        }

    async def guarded(request: Request, account: str) -> Response | dict[str, str]:
        if not _authorised(request) or account != ACCOUNT_SID:
            return _error(401, "Authenticate")
        with state.lock:
            if state.failures:
                return _error(state.failures.pop(0), "injected failure")
            if state.error_codes:
                return _error(400, "injected Twilio error", code=state.error_codes.pop(0))
        form = await request.form()
        return {key: str(value) for key, value in form.multi_items()}

    @app.post(base + "/Messages.json")
    async def create_message(account: str, request: Request) -> Response:
        form = await guarded(request, account)
        if isinstance(form, Response):
            return form
        if not form.get("To") or not (form.get("Body") or form.get("MediaUrl")):
            return _error(400, "A 'To' and a 'Body' or 'MediaUrl' are required")
        key = request.headers.get("I-Twilio-Idempotency-Token", "")
        with state.lock:
            if key:
                state.requests_by_key[key] = state.requests_by_key.get(key, 0) + 1
                if key in state.answers_by_key:
                    return JSONResponse(state.answers_by_key[key], status_code=201)
        sid = "SM" + uuid.uuid4().hex
        with state.lock:
            state.messages.append({**form, "Sid": sid, "IdempotencyKey": key})
        if state.on_message is not None:
            await asyncio.to_thread(state.on_message, {**form, "Sid": sid})
        if form.get("StatusCallback"):
            threading.Thread(target=_report_delivery, args=(state, form, sid), daemon=True).start()
        body = resource("Messages", sid, account, form)
        body.update(body=form.get("Body"), num_segments="1", direction="outbound-api")
        if key:
            with state.lock:
                state.answers_by_key[key] = body
        return JSONResponse(body, status_code=201)

    @app.post(base + "/Calls.json")
    async def create_call(account: str, request: Request) -> Response:
        form = await guarded(request, account)
        if isinstance(form, Response):
            return form
        if not form.get("To") or not (form.get("Twiml") or form.get("Url")):
            return _error(400, "A 'To' and a 'Twiml' or 'Url' are required")
        sid = "CA" + uuid.uuid4().hex
        with state.lock:
            state.calls.append({**form, "Sid": sid})
        body = resource("Calls", sid, account, form)
        body.update(direction="outbound-api", duration=None)
        return JSONResponse(body, status_code=201)

    @app.get(base + "/Recordings/{sid}")
    async def get_recording(account: str, sid: str, request: Request) -> Response:
        if not _authorised(request) or account != ACCOUNT_SID:
            return _error(401, "Authenticate")
        key = sid.removesuffix(".wav")
        with state.lock:
            data = state.recordings.get(key)
            size = state.streamed_recordings.get(key)
        if size is not None:
            return StreamingResponse(_stream(state, key, size), media_type="audio/x-wav")
        if data is None:
            return _error(404, f"The requested resource {sid} was not found")
        return Response(data, media_type="audio/x-wav")

    return app


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    state = FakeTwilio()
    with serve(build_app(state)) as url:
        state.url = url
        yield state
