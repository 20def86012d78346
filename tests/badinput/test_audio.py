"""Malformed recordings: the voice fallback still files the call's case (the bytes kept for a
person), and `hotline speech transcribe` says what is wrong with the file instead of crashing.

`read_wav` used to let the standard `wave` module's bare RuntimeError (a chunk longer than the
file) and a ZeroDivisionError (a μ-law header with no channels) escape; the recording webhook
answered those with a 500, so Twilio's retries never filed the call.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from channels.twilio.signature import sign
from cli.speech import app as speech_cli
from speech.audio import mulaw_wav_bytes, wav_bytes
from tests.badinput.conftest import PUBLIC
from tests.utils.speech import new_call_sid
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.voice.conftest import attachments_of, wait_for_case

GOOD = wav_bytes(np.zeros(800, dtype=np.int16), 8000)
MULAW = mulaw_wav_bytes(b"\xff" * 800)
JUNK = {
    "html": b"<html>not audio</html>",
    "empty riff": b"RIFF\x00\x00\x00\x00WAVE",
    "chunk longer than the file": (
        GOOD[:12] + b"LIST" + (9999).to_bytes(4, "little") + b"abcd" + GOOD[12:]
    ),
    "no channels": GOOD[:22] + (0).to_bytes(2, "little") + GOOD[24:],
    "mu-law without channels": MULAW[:22] + (0).to_bytes(2, "little") + MULAW[24:],
    "mu-law with a cut format": (
        b"RIFF\x14\x00\x00\x00WAVEfmt \x02\x00\x00\x00\x07\x00data\x02\x00\x00\x00\xff\xff"
    ),
}


def signed_post(url: str, path: str, form: dict[str, str]) -> httpx.Response:
    headers = {"X-Twilio-Signature": sign(PUBLIC + path, form, AUTH_TOKEN)}
    return httpx.post(url + path, data=form, headers=headers, timeout=60)


@pytest.mark.parametrize("name", sorted(JUNK))
async def test_a_malformed_recording_still_files_the_call_with_its_bytes(
    name: str, channels_url: str, channel_twilio: FakeTwilio, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": "+8613700002222"}
    assert signed_post(channels_url, "/twilio/voice", call).status_code == 200
    recording = "RE" + call["CallSid"][2:]
    channel_twilio.recordings[recording] = JUNK[name]
    answer = signed_post(
        channels_url,
        "/twilio/voice/recording?lang=zh",
        {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call["CallSid"],
            "RecordingSid": recording,
            "RecordingUrl": f"{channel_twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/"
            + recording,
            "RecordingStatus": "completed",
        },
    )
    assert answer.status_code == 204, answer.text
    case = await wait_for_case(engine, call["CallSid"])
    assert case.transcript is None
    [kept] = attachments_of(engine, case)
    assert kept.size == len(JUNK[name])


@pytest.mark.parametrize("name", ["html", "chunk longer than the file", "mu-law without channels"])
def test_transcribing_a_malformed_file_is_a_clear_error(name: str, tmp_path: Path) -> None:
    """`hotline speech transcribe` (in-process: the file is refused before any model loads)."""
    wav = tmp_path / "junk.wav"
    wav.write_bytes(JUNK[name])
    done = CliRunner().invoke(speech_cli, ["transcribe", str(wav), "--lang", "ko"])
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit), done.exception  # typer.Exit, no traceback
    assert "WAV" in done.output, done.output
