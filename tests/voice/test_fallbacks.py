"""Calls never fail on us: forged webhooks are refused, a missing model means recording, and a
recording is transcribed after the call and attached to its case."""

from __future__ import annotations

import numpy as np
import pytest
import websockets
from sqlalchemy.engine import Engine

from channels.twilio.signature import sign
from channels.voice.store import get_call
from models.enums import AttachmentKind
from speech.audio import mulaw_decode, mulaw_encode, wav_bytes
from tests.utils.speech import media_messages, new_call_sid, silence, speak, squash
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.voice.conftest import VoiceApi, attachments_of, wait_for_case

CALLER = "+8613700001111"


def _recording_url(twilio: FakeTwilio, sid: str) -> str:
    return f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"


@pytest.mark.parametrize(
    "path",
    [
        "/twilio/voice",
        "/twilio/voice/confirm?lang=zh",
        "/twilio/voice/recording?lang=zh",
        "/twilio/voice/withdraw?case=20261130-000001&lang=zh",
        "/twilio/voice/details?case=20261130-000001&lang=zh",
        "/twilio/voice/leave-message?lang=zh",
    ],
)
def test_unsigned_or_wrongly_signed_webhooks_are_refused(voice_api: VoiceApi, path: str) -> None:
    form = {"CallSid": new_call_sid(), "From": CALLER, "Digits": "1"}
    assert voice_api.post(path, form, signature="").status_code == 403
    forged = sign("https://hotline.example.gov.cn" + path, form, "not-the-auth-token")
    assert voice_api.post(path, form, signature=forged).status_code == 403
    tampered = sign("https://hotline.example.gov.cn" + path, {**form, "Digits": "2"}, AUTH_TOKEN)
    assert voice_api.post(path, form, signature=tampered).status_code == 403


async def test_an_unsigned_media_stream_is_refused(voice_api: VoiceApi, engine: Engine) -> None:
    call_sid = new_call_sid()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await voice_api.stream(media_messages(call_sid, silence(0.2)), signed=False)
    assert refused.value.response.status_code == 403
    assert get_call(engine, call_sid) is None


def test_a_line_without_a_model_records_instead(voice_api: VoiceApi) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    english = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "1"})
    assert "<Connect" in english.text  # the Chinese line has its model
    recording = voice_api.post("/twilio/voice/describe?lang=en", call)  # the English one none
    assert "<Record" in recording.text and "<Stream" not in recording.text
    assert (
        'recordingStatusCallback="https://hotline.example.gov.cn/twilio/voice/recording?lang=en"'
        in recording.text
    )


async def test_a_stream_without_a_model_hands_over_to_recording(
    voice_api: VoiceApi, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)  # the model goes missing after the stream was offered
    await voice_api.stream(
        media_messages(call["CallSid"], silence(1.0), language="en", parameters=parameters)
    )
    state = get_call(engine, call["CallSid"])
    assert state is not None and state.stream_state == "failed"
    assert state.stream_error is not None
    assert "no Vosk speech model for language 'en'" in state.stream_error
    assert "hotline speech models install --lang en" in state.stream_error
    after = voice_api.post("/twilio/voice/heard?lang=en", call)
    assert "<Record" in after.text


async def test_a_recording_is_downloaded_transcribed_and_attached(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    recording_sid = "RE" + call["CallSid"][2:]
    spoken = np.concatenate([silence(0.5), speak("사람이 너무 많습니다"), silence(1.0)])
    # What the phone line carried (μ-law), served as Twilio serves recordings: a PCM WAV.
    twilio.recordings[recording_sid] = wav_bytes(mulaw_decode(mulaw_encode(spoken)), 8000)
    done = voice_api.post("/twilio/voice/recorded?lang=zh", call)
    assert "<Hangup" in done.text

    answer = voice_api.post(
        "/twilio/voice/recording?lang=zh",
        {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call["CallSid"],
            "RecordingSid": recording_sid,
            "RecordingUrl": _recording_url(twilio, recording_sid),
            "RecordingStatus": "completed",
            "RecordingDuration": "3",
        },
    )
    assert answer.status_code == 204
    case = await wait_for_case(engine, call["CallSid"])
    assert "너무" in squash(case.transcript or "")
    saved = attachments_of(engine, case)
    assert [a.kind for a in saved] == [AttachmentKind.audio]
    assert saved[0].size == len(twilio.recordings[recording_sid])


async def test_a_recording_on_a_line_without_a_model_waits_for_a_person(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    recording_sid = "RE" + call["CallSid"][2:]
    twilio.recordings[recording_sid] = wav_bytes(speak("물이 너무 많습니다"), 8000)
    voice_api.post(
        "/twilio/voice/recording?lang=en",
        {
            "CallSid": call["CallSid"],
            "RecordingSid": recording_sid,
            "RecordingUrl": _recording_url(twilio, recording_sid),
            "RecordingStatus": "completed",
        },
    )
    case = await wait_for_case(engine, call["CallSid"])
    assert case.transcript is None
    assert case.description == "(call recording, awaiting transcription)"
    assert len(attachments_of(engine, case)) == 1


async def test_a_recording_that_cannot_be_downloaded_still_files_the_case(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    answer = voice_api.post(
        "/twilio/voice/recording?lang=zh",
        {
            "CallSid": call["CallSid"],
            "RecordingSid": "RE-gone",
            "RecordingUrl": _recording_url(twilio, "RE" + "0" * 32),  # Twilio answers 404
            "RecordingStatus": "completed",
        },
    )
    assert answer.status_code == 204
    case = await wait_for_case(engine, call["CallSid"])
    assert case.description == "（来电录音，待人工转写）" and attachments_of(engine, case) == []


def test_a_webhook_without_a_call_sid_is_a_clear_400(voice_api: VoiceApi) -> None:
    answer = voice_api.post("/twilio/voice", {"From": CALLER, "CallSid": "../../etc"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "CallSid is missing or malformed"
