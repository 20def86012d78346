"""A caller describes a problem in their own words and leaves with a case number."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy.engine import Engine

from channels.voice.store import get_call
from intake.service import accept_intake
from models.enums import AttachmentKind, Channel
from tests.utils.factories import make_intake, unique_phone
from tests.utils.speech import (
    SENTENCES,
    dtmf_message,
    media_messages,
    new_call_sid,
    silence,
    speak,
    squash,
)
from tests.voice.conftest import (
    VoiceApi,
    attachments_of,
    case_of_call,
    stream_parameters,
    wait_for_case,
)

SENTENCE = "우리 동네 도로가 너무 위험합니다"
CALLER = "+8613912345678"


async def test_spoken_description_becomes_a_case_with_its_transcript(
    voice_api: VoiceApi, engine: Engine
) -> None:
    # A number with no open case: what was said is filed at once (tests/voice/test_followups.py
    # for a caller with one).
    call = {"CallSid": new_call_sid(), "From": unique_phone(), "To": "+8610012345"}
    greeting = voice_api.post("/twilio/voice", call)
    assert greeting.status_code == 200
    assert "For English, press 2." in greeting.text and "<Gather" in greeting.text

    listen = voice_api.post("/twilio/voice/describe?lang=zh", call)
    assert '<Stream url="wss://hotline.example.gov.cn/twilio/media">' in listen.text
    assert 'action="https://hotline.example.gov.cn/twilio/voice/heard?lang=zh"' in listen.text

    # The caller speaks, then stays quiet: the server hears the end of speech and hangs up
    # the stream by itself (the trailing silence is longer than needed, as on a real line).
    audio = np.concatenate([silence(0.5), speak(SENTENCE), silence(3.0)])
    parameters = stream_parameters(listen.text)
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    state = get_call(engine, call["CallSid"])
    assert state is not None and state.stream_state == "heard"

    read_back = voice_api.post("/twilio/voice/heard?lang=zh", call)
    assert state.transcript and state.transcript in read_back.text
    assert "确认请按1" in read_back.text

    confirmed = voice_api.post("/twilio/voice/confirm?lang=zh", {**call, "Digits": "1"})
    case = case_of_call(engine, call["CallSid"])
    assert case is not None and case.channel == Channel.voice
    for word in SENTENCES[SENTENCE]:
        assert word in squash(case.transcript or "")
    assert case.description == case.transcript
    spoken = "，".join(case.number.replace("-", ""))  # digit by digit
    assert spoken in confirmed.text
    audio_files = attachments_of(engine, case)
    assert [a.kind for a in audio_files] == [AttachmentKind.audio]

    again = voice_api.post("/twilio/voice/confirm?lang=zh", {**call, "Digits": "1"})
    assert spoken in again.text  # a repeated webhook gives the same case, not a second one


async def test_a_stream_that_drops_still_yields_a_case_with_what_was_heard(
    voice_api: VoiceApi, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    audio = np.concatenate([silence(0.5), speak(SENTENCE), silence(0.3)])
    await voice_api.drop(media_messages(call["CallSid"], audio, parameters=parameters, stop=False))

    case = await wait_for_case(engine, call["CallSid"])
    assert "너무" in squash(case.transcript or "")
    saved = attachments_of(engine, case)
    assert [a.kind for a in saved] == [AttachmentKind.audio] and saved[0].size > 8000


async def test_a_hang_up_mid_description_files_what_was_said(
    voice_api: VoiceApi, engine: Engine
) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다")])
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    case = await wait_for_case(engine, call["CallSid"])
    assert "너무" in squash(case.transcript or "")


async def test_hash_key_ends_the_description_at_once(voice_api: VoiceApi, engine: Engine) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    messages = media_messages(call["CallSid"], speak(SENTENCE), parameters=parameters, stop=False)
    stream_sid = json.loads(messages[1])["streamSid"]
    await voice_api.stream([*messages, dtmf_message(stream_sid, "#", len(messages))])
    state = get_call(engine, call["CallSid"])
    assert state is not None and state.stream_state == "heard"
    assert "너무" in squash(state.transcript or "")
    assert case_of_call(engine, call["CallSid"]) is None  # the caller confirms first


def test_a_silent_caller_is_asked_again_then_recorded(voice_api: VoiceApi) -> None:
    call = {"CallSid": new_call_sid(), "From": CALLER}
    voice_api.post("/twilio/voice", call)
    for attempt in (1, 2):
        voice_api.post("/twilio/voice/describe?lang=zh", call)
        heard = voice_api.post("/twilio/voice/heard?lang=zh", call)
        if attempt == 1:
            assert "没有听清" in heard.text and "/twilio/voice/describe?lang=zh" in heard.text
        else:
            assert "<Record" in heard.text


def test_english_line_keys_status_and_operator(voice_api: VoiceApi, engine: Engine) -> None:
    call = {"CallSid": new_call_sid(), "From": unique_phone()}  # key 2 is kept for the number
    voice_api.post("/twilio/voice", call)
    english = voice_api.post("/twilio/voice/menu?lang=zh", {**call, "Digits": "2"})
    assert "Welcome to the 12345" in english.text and "For English" not in english.text
    assert get_call(engine, call["CallSid"]).language == "en"  # type: ignore[union-attr]

    operator = voice_api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "0"})
    assert "<Dial" in operator.text and "+8610000000" in operator.text

    ask = voice_api.post("/twilio/voice/menu?lang=en", {**call, "Digits": "3"})
    assert "enter the fourteen digits, then press hash" in ask.text
    unknown = voice_api.post("/twilio/voice/status?lang=en", {**call, "Digits": "20990101000001"})
    assert "We found no case with that number." in unknown.text


def test_a_case_status_is_told_by_its_keyed_number(voice_api: VoiceApi, engine: Engine) -> None:
    case = accept_intake(
        engine=engine, intake=make_intake(channel=Channel.web), settings=voice_api.settings
    ).case
    call = {"CallSid": new_call_sid(), "From": CALLER}
    told = voice_api.post(
        "/twilio/voice/status?lang=zh", {**call, "Digits": case.number.replace("-", "") + "#"}
    )
    assert "，".join(case.number.replace("-", "")) in told.text
    assert "目前的状态是：已受理" in told.text and "<Hangup" not in told.text  # the menu again
