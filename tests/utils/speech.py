"""Speech for tests: Korean sentences spoken by espeak-ng (the one offline model is Korean),
turned into telephone audio and into real Twilio Media Stream messages."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import uuid
from pathlib import Path

import numpy as np

from speech.audio import Samples, mulaw_encode, read_wav, resample

FRAME = 160  # 20 ms at 8 kHz, what Twilio sends per media message
# Sentences the small Korean model recognises at least partly from espeak-ng's voice on a
# telephone line, with the words it reliably gets (found by trying; bench/speech.py scores all).
SENTENCES = {
    "우리 동네 도로가 너무 위험합니다": ["너무", "위험"],
    "사람이 너무 많습니다": ["너무", "많"],
    "물이 너무 많습니다": ["너무", "많"],
}


def speak(text: str, rate: int = 8000, speed: int = 150) -> Samples:
    """`text` said by espeak-ng's Korean voice, as mono 16-bit samples at `rate`."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(out), text],
            check=True,
            capture_output=True,
        )
        samples, source_rate = read_wav(out)
    return resample(samples, source_rate, rate)


def silence(seconds: float, rate: int = 8000) -> Samples:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def squash(text: str) -> str:
    """Compare words without Vosk's spacing (it splits Korean words where it likes)."""
    return re.sub(r"\s+", "", text)


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def media_messages(
    call_sid: str,
    samples: Samples,
    *,
    language: str = "zh",
    purpose: str = "intake",
    parameters: dict[str, str] | None = None,
    stop: bool = True,
) -> list[str]:
    """The JSON text frames Twilio sends for a `<Connect><Stream>` carrying `samples`;
    `parameters` are the stream's `<Parameter>`s from our TwiML (its token among them)."""
    stream_sid = "MZ" + uuid.uuid4().hex
    account = "AC" + "0" * 30
    messages: list[dict[str, object]] = [
        {"event": "connected", "protocol": "Call", "version": "1.0.0"},
        {
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "accountSid": account,
                "streamSid": stream_sid,
                "callSid": call_sid,
                "tracks": ["inbound"],
                "customParameters": {
                    "purpose": purpose,
                    **(parameters or {}),
                    "language": language,
                },
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
            "streamSid": stream_sid,
        },
    ]
    payload = mulaw_encode(samples)
    for chunk, start in enumerate(range(0, len(payload), FRAME), start=1):
        messages.append(
            {
                "event": "media",
                "sequenceNumber": str(len(messages)),
                "media": {
                    "track": "inbound",
                    "chunk": str(chunk),
                    "timestamp": str((chunk - 1) * 20),
                    "payload": base64.b64encode(payload[start : start + FRAME]).decode(),
                },
                "streamSid": stream_sid,
            }
        )
        if chunk == 5:  # Twilio echoes marks we set; one in the middle changes nothing
            messages.append(
                {
                    "event": "mark",
                    "sequenceNumber": str(len(messages)),
                    "streamSid": stream_sid,
                    "mark": {"name": "greeting-done"},
                }
            )
    if stop:
        messages.append(
            {
                "event": "stop",
                "sequenceNumber": str(len(messages)),
                "streamSid": stream_sid,
                "stop": {"accountSid": account, "callSid": call_sid},
            }
        )
    return [json.dumps(message) for message in messages]


def dtmf_message(stream_sid: str, digit: str, sequence: int) -> str:
    return json.dumps(
        {
            "event": "dtmf",
            "streamSid": stream_sid,
            "sequenceNumber": str(sequence),
            "dtmf": {"track": "inbound_track", "digit": digit},
        }
    )
