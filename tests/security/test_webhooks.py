"""Twilio's doors as an attacker tries them: media streams for calls Twilio never made, and
recording callbacks that point our credentials at someone else's server (issue 13)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from fastapi import FastAPI, Request, Response
from sqlalchemy.engine import Engine

from api.main import create_app
from channels.twilio.signature import sign
from channels.voice.store import get_call
from core.settings import Settings
from speech.audio import wav_bytes
from tests.utils.servers import serve
from tests.utils.speech import media_messages, new_call_sid, silence, speak
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.voice import conftest as voice
from tests.voice.conftest import MEDIA_URL, VoiceApi, attachments_of, case_of_call, wait_for_case

# The voice channel's session fixtures, shared with tests/voice.
twilio = voice.twilio
voice_settings = voice.voice_settings
voice_api = voice.voice_api

CALLER = "+8613600002222"
POLICY_VIOLATION = 1008


async def _stream_close_code(voice_api: VoiceApi, messages: list[str]) -> int | None:
    """Open the media socket exactly as Twilio does (a valid signature for the fixed URL),
    send the messages, and return the close code the server ended the stream with."""
    headers = {"X-Twilio-Signature": sign(MEDIA_URL, {}, AUTH_TOKEN)}
    async with websockets.connect(voice_api.ws_url(), additional_headers=headers) as socket:
        try:
            for message in messages:
                await socket.send(message)
            await asyncio.wait_for(socket.wait_closed(), timeout=60)
        except websockets.ConnectionClosed:
            pass
    return socket.close_code


def _nothing_recorded(engine: Engine, settings: Settings, call_sid: str) -> None:
    state = get_call(engine, call_sid)
    assert state is None or (state.stream_state, state.transcript) == (None, None)
    assert case_of_call(engine, call_sid) is None
    assert not (settings.var_dir / "voice" / f"{call_sid}.wav").exists()


async def test_a_signed_stream_for_a_made_up_call_is_refused_and_records_nothing(
    voice_api: VoiceApi, engine: Engine
) -> None:
    """Defect 10 of issue 13: one URL signature opened streams for any CallSid."""
    made_up = new_call_sid()  # no signed /twilio/voice webhook ever named it
    audio = speak("사람이 너무 많습니다")
    code = await _stream_close_code(voice_api, media_messages(made_up, audio))
    assert code == POLICY_VIOLATION
    assert get_call(engine, made_up) is None
    _nothing_recorded(engine, voice_api.settings, made_up)


@pytest.mark.parametrize(
    "token",
    [
        None,  # no token at all
        "",
        "9999999999.0000000000000000000000000000000000000000000000000000000000000000",  # forged
        "not-a-token",
    ],
)
async def test_a_stream_without_a_valid_token_is_refused_even_for_a_real_call(
    voice_api: VoiceApi, engine: Engine, token: str | None
) -> None:
    """Defect 10 of issue 13: the call is real (Twilio announced it), the token is not."""
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    parameters = {} if token is None else {"token": token}
    messages = media_messages(call["CallSid"], silence(0.5), parameters=parameters)
    assert await _stream_close_code(voice_api, messages) == POLICY_VIOLATION
    _nothing_recorded(engine, voice_api.settings, call["CallSid"])


async def test_one_calls_token_does_not_open_a_stream_for_another_call(
    voice_api: VoiceApi, engine: Engine
) -> None:
    """Defect 10 of issue 13: a token binds its CallSid."""
    mine = {"CallSid": new_call_sid(), "From": CALLER}
    victim = {"CallSid": new_call_sid(), "From": "+8613600003333"}
    voice_api.post("/twilio/voice", mine)
    voice_api.post("/twilio/voice", victim)
    parameters = voice_api.listen(mine)
    messages = media_messages(victim["CallSid"], silence(0.5), parameters=parameters)
    assert await _stream_close_code(voice_api, messages) == POLICY_VIOLATION
    _nothing_recorded(engine, voice_api.settings, victim["CallSid"])


async def test_an_expired_stream_token_is_refused(voice_api: VoiceApi, engine: Engine) -> None:
    """Defect 10 of issue 13: a token from an old TwiML answer, replayed later."""
    from channels.voice import tokens  # the new module: this test is about its expiry

    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    issued_long_ago = time.time() - 2 * voice_api.settings.voice_stream_token_s
    old = tokens.issue(voice_api.settings, call["CallSid"], "intake", now=issued_long_ago)
    messages = media_messages(call["CallSid"], silence(0.5), parameters={"token": old})
    assert await _stream_close_code(voice_api, messages) == POLICY_VIOLATION
    _nothing_recorded(engine, voice_api.settings, call["CallSid"])


class AttackerServer:
    """Someone else's web server: it serves a WAV to anyone and notes what it was sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.url = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{path:path}")
        async def anything(path: str, request: Request) -> Response:
            with self.lock:
                self.requests.append(dict(request.headers))
            return Response(wav_bytes(silence(1.0), 8000), media_type="audio/x-wav")

        return app


@pytest.fixture(scope="module")
def attacker() -> Iterator[AttackerServer]:
    server = AttackerServer()
    with serve(server.app()) as url:
        server.url = url
        yield server


def _recording_callback(call_sid: str, url: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": "RE" + call_sid[2:],
        "RecordingUrl": url,
        "RecordingStatus": "completed",
    }


@pytest.mark.parametrize(
    "path",
    [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}",  # Twilio's own path
        "/steal",
    ],
)
async def test_a_recording_url_on_another_host_gets_no_credentials(
    voice_api: VoiceApi, attacker: AttackerServer, engine: Engine, path: str
) -> None:
    """Defect 12 of issue 13: RecordingUrl named any host and got the account's credentials."""
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    answer = voice_api.post(
        "/twilio/voice/recording?lang=zh", _recording_callback(call["CallSid"], attacker.url + path)
    )
    assert answer.status_code == 204
    with attacker.lock:
        assert not any("authorization" in headers for headers in attacker.requests)
    case = await wait_for_case(engine, call["CallSid"])  # the caller's case is filed anyway
    assert case.description == "（来电录音，待人工转写）" and attachments_of(engine, case) == []


async def test_an_oversized_recording_is_cut_off(
    voice_settings: Settings, twilio: FakeTwilio, engine: Engine, worker_process: None
) -> None:
    """Defect 12 of issue 13: the recording was read whole, however large."""
    limit = 256 * 1024
    small = voice_settings.model_copy(update={"max_attachment_bytes": limit})
    call_sid = new_call_sid()
    recording_sid = "RE" + call_sid[2:]
    twilio.streamed_recordings[recording_sid] = 64 * 1024 * 1024  # no Content-Length
    with serve(create_app(small)) as url:
        api = VoiceApi(url, small)
        api.post("/twilio/voice", {"CallSid": call_sid, "From": CALLER})
        recording_url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
        answer = api.post(
            "/twilio/voice/recording?lang=zh", _recording_callback(call_sid, recording_url)
        )
        assert answer.status_code == 204
        case = await wait_for_case(engine, call_sid)
    assert case.description == "（来电录音，待人工转写）" and attachments_of(engine, case) == []
    # Stopped near the cap: what was sent is the cap plus what socket buffers hold.
    assert twilio.served[recording_sid] < 32 * 1024 * 1024
    assert not Path(small.var_dir / "voice" / f"{call_sid}.recording.wav").exists()
