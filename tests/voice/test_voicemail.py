"""Voicemail keeps its promise: the caller gets the case number by SMS (also after hanging up
mid-speech), the recording waits in the console's transcription queue, and the transcript a
person types there is dispatched by smart dispatch as any written request."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from sqlalchemy.engine import Engine

from api.main import create_app
from core.settings import Settings
from models.enums import StaffRole
from speech.audio import wav_bytes
from tests.utils.cases import case_row, events
from tests.utils.factories import unique_phone
from tests.utils.processes import ROOT, hotline_env
from tests.utils.servers import serve
from tests.utils.speech import media_messages, new_call_sid, silence, speak
from tests.utils.staff import HAIDIAN, console_login, csrf_of, make_staff
from tests.utils.twilio_api import ACCOUNT_SID, FakeTwilio
from tests.voice.conftest import VoiceApi, attachments_of, wait_for_case

TEXTED = {
    "zh": "我们已收到您的电话留言，案件编号 {number}。请保存此编号，以便查询办理进度。",
    "en": (
        "We have received your phone message. Your case number is {number}. "
        "Keep it to follow your request."
    ),
}
PLACEHOLDER = "（来电录音，待人工转写）"
HEARD = "望京街道阜通东大街6号楼下烧烤摊油烟太大，晚上熏得没法开窗"


@pytest.fixture(scope="module")
def dispatch_model(settings: Settings) -> None:
    """Smart dispatch's model, trained beforehand as an operator would; training inside the
    first case's activity can outlast its timeout on a busy machine."""
    if not settings.model_path.exists():
        command = [sys.executable, "-m", "cli.main", "dispatch", "train"]
        subprocess.run(command, env=hotline_env(settings), cwd=ROOT, check=True, timeout=900)  # noqa: S603


@pytest.fixture(scope="module")
def voicemail_api(
    voice_settings: Settings, worker_process: None, dispatch_model: None
) -> Iterator[VoiceApi]:
    """Both lines without a speech model (every call records), smart dispatch on."""
    local = voice_settings.model_copy(
        update={"voice_recognition_languages": {"zh": "zh", "en": "en"}, "smart_dispatch": True}
    )
    with serve(create_app(local)) as url:
        yield VoiceApi(url, local)


def _leave_a_message(api: VoiceApi, twilio: FakeTwilio, caller: str, lang: str) -> str:
    call_sid = new_call_sid()
    call = {"CallSid": call_sid, "From": caller}
    api.post("/twilio/voice", call)
    recording = api.post(f"/twilio/voice/describe?lang={lang}", call)
    assert "<Record" in recording.text
    recording_sid = "RE" + call_sid[2:]
    twilio.recordings[recording_sid] = wav_bytes(speak("물이 너무 많습니다"), 8000)
    callback = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "RecordingUrl": _recording_url(twilio, recording_sid),
        "RecordingStatus": "completed",
    }
    assert api.post(f"/twilio/voice/recording?lang={lang}", callback).status_code == 204
    return call_sid


def _recording_url(twilio: FakeTwilio, sid: str) -> str:
    return f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"


async def _texts_to(twilio: FakeTwilio, phone: str, count: int = 1) -> list[str]:
    for _ in range(600):
        bodies = [m["Body"] for m in twilio.messages_to(phone)]
        if len(bodies) >= count:
            return bodies
        await asyncio.sleep(0.05)
    raise AssertionError(f"{phone} was texted {twilio.messages_to(phone)}")


async def _settled(engine: Engine, number: str) -> list[str]:
    """The case's event kinds once smart dispatch has spoken (the first case trains it)."""
    for _ in range(2400):
        kinds = [e.kind for e in events(engine, number)]
        if {"dispatched", "dispatch_suggested", "dispatch_suggestion_failed"} & set(kinds):
            return kinds
        await asyncio.sleep(0.05)
    raise AssertionError(f"smart dispatch never decided on {number}: {kinds}")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_voicemail_caller_gets_the_case_number_by_sms_once(
    voicemail_api: VoiceApi, twilio: FakeTwilio, engine: Engine, lang: str
) -> None:
    caller = unique_phone()
    call_sid = _leave_a_message(voicemail_api, twilio, caller, lang)
    case = await wait_for_case(engine, call_sid)
    assert await _texts_to(twilio, caller) == [TEXTED[lang].format(number=case.number)]
    # Twilio delivers the callback again, and the call's status callback follows: no second SMS.
    recording_sid = "RE" + call_sid[2:]
    again = {
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "RecordingUrl": _recording_url(twilio, recording_sid),
        "RecordingStatus": "completed",
    }
    assert voicemail_api.post(f"/twilio/voice/recording?lang={lang}", again).status_code == 204
    voicemail_api.post("/twilio/voice/ended", {"CallSid": call_sid, "CallStatus": "completed"})
    await asyncio.sleep(0.5)
    assert len(twilio.messages_to(caller)) == 1


async def test_a_voicemail_waits_for_a_transcript_then_is_dispatched_like_a_text_case(
    voicemail_api: VoiceApi, api_url: str, twilio: FakeTwilio, engine: Engine
) -> None:
    caller = unique_phone()
    call_sid = _leave_a_message(voicemail_api, twilio, caller, "zh")
    case = await wait_for_case(engine, call_sid)
    assert case.awaiting_transcript and case.description == PLACEHOLDER
    recording = attachments_of(engine, case)[0]
    dispatcher = make_staff(engine, StaffRole.dispatcher)
    with console_login(api_url, dispatcher) as client:  # the console: plain http here
        queue = client.get("/console/transcribe")
        assert queue.status_code == 200
        audio_url = f"/console/cases/{case.number}/attachments/{recording.id}"
        assert f'<audio controls preload="none" src="{audio_url}">' in queue.text
        played = client.get(audio_url)
        assert played.status_code == 200 and played.content[:4] == b"RIFF"
        empty = client.post(
            f"/console/transcribe/{case.number}",
            data={"csrf_token": csrf_of(queue.text), "transcript": "   "},
        )
        assert empty.status_code == 422
        assert "请输入来电人所说的内容：转写内容为空。" in empty.text
        saved = client.post(
            f"/console/transcribe/{case.number}",
            data={"csrf_token": csrf_of(queue.text), "transcript": HEARD},
        )
        assert saved.status_code == 303
        after = client.get(saved.headers["location"]).text
        assert f"案件 {case.number} 的转写已保存。" in after
        assert f'id="voicemail-{case.number}"' not in after
        again = client.post(
            f"/console/transcribe/{case.number}",
            data={"csrf_token": csrf_of(after), "transcript": "另一段文字"},
        )
        assert again.status_code == 409
        assert f"案件 {case.number} 已不再等待转写。" in again.text
    kinds = await _settled(engine, case.number)
    # Nothing classified the placeholder: smart dispatch spoke only after the transcript.
    assert kinds[:2] == ["accepted", "transcribed"], kinds
    assert kinds[2] in ("dispatched", "dispatch_suggested"), kinds
    transcribed = events(engine, case.number)[1]
    assert transcribed.actor == dispatcher.username
    row = case_row(engine, case.number)
    assert (row.description, row.transcript, row.awaiting_transcript) == (HEARD, HEARD, False)
    assert len(twilio.messages_to(caller)) == 1  # the number, and nothing else by then


async def test_a_caller_who_hangs_up_mid_speech_gets_the_case_number_by_sms(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    caller = unique_phone()
    call = {"CallSid": new_call_sid(), "From": caller}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다")])
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    case = await wait_for_case(engine, call["CallSid"])
    assert await _texts_to(twilio, caller) == [TEXTED["zh"].format(number=case.number)]
    voice_api.post("/twilio/voice/ended", {**call, "CallStatus": "completed"})
    await asyncio.sleep(0.5)
    assert len(twilio.messages_to(caller)) == 1


async def test_a_caller_who_hangs_up_after_the_read_back_is_filed_and_texted(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    caller = unique_phone()
    call = {"CallSid": new_call_sid(), "From": caller}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다"), silence(3.0)])
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    assert "<Gather" in voice_api.post("/twilio/voice/heard?lang=zh", call).text
    # The caller hangs up instead of pressing 1; Twilio reports the call completed.
    ended = voice_api.post("/twilio/voice/ended", {**call, "CallStatus": "completed"})
    assert ended.status_code == 204
    case = await wait_for_case(engine, call["CallSid"])
    assert case.transcript and not case.awaiting_transcript
    assert twilio.messages_to(caller)[0]["Body"] == TEXTED["zh"].format(number=case.number)


async def test_a_caller_who_heard_the_number_is_not_texted(
    voice_api: VoiceApi, twilio: FakeTwilio, engine: Engine
) -> None:
    caller = unique_phone()
    call = {"CallSid": new_call_sid(), "From": caller}
    voice_api.post("/twilio/voice", call)
    parameters = voice_api.listen(call)
    audio = np.concatenate([silence(0.5), speak("사람이 너무 많습니다"), silence(3.0)])
    await voice_api.stream(media_messages(call["CallSid"], audio, parameters=parameters))
    confirmed = voice_api.post("/twilio/voice/confirm?lang=zh", {**call, "Digits": "1"})
    assert "<Hangup" in confirmed.text
    voice_api.post("/twilio/voice/ended", {**call, "CallStatus": "completed"})
    await asyncio.sleep(0.5)
    assert twilio.messages_to(caller) == []


async def test_strangers_get_neither_the_queue_nor_the_recording(
    voicemail_api: VoiceApi, api_url: str, twilio: FakeTwilio, engine: Engine
) -> None:
    call_sid = _leave_a_message(voicemail_api, twilio, unique_phone(), "zh")
    case = await wait_for_case(engine, call_sid)
    recording = attachments_of(engine, case)[0]
    audio_url = f"/console/cases/{case.number}/attachments/{recording.id}"
    secret = twilio.recordings["RE" + call_sid[2:]]
    url = api_url
    # Not logged in, or a citizen's browser (the public site's cookies, no staff session).
    with (
        httpx.Client(base_url=url, timeout=60) as citizen,
        httpx.Client(base_url=url, timeout=60) as anonymous,
    ):
        citizen.get("/track")
        for client in (citizen, anonymous):
            for path in ("/console/transcribe", audio_url):
                answer = client.get(path, follow_redirects=False)
                assert answer.status_code == 303, answer.text
                assert answer.headers["location"] == "/console/login"
                assert secret not in answer.content and case.number not in answer.text
            posted = client.post(f"/console/transcribe/{case.number}", data={"transcript": "假的"})
            assert posted.status_code in (303, 403)
    # A unit's handler: not an intake role, and not their unit's case.
    with console_login(url, make_staff(engine, StaffRole.unit_handler, HAIDIAN)) as handler:
        page = handler.get("/console/transcribe")
        assert page.status_code == 403 and case.number not in page.text
        refused = handler.get(audio_url)
        assert refused.status_code == 404 and secret not in refused.content
        token = csrf_of(handler.get("/console/inbox").text)
        posted = handler.post(
            f"/console/transcribe/{case.number}", data={"csrf_token": token, "transcript": "假的"}
        )
        assert posted.status_code == 403
    # A supervisor sees every case but types no transcripts.
    with console_login(url, make_staff(engine, StaffRole.supervisor)) as supervisor:
        assert supervisor.get("/console/transcribe").status_code == 403
    # A dispatcher's form without its CSRF token changes nothing.
    with console_login(url, make_staff(engine, StaffRole.dispatcher)) as dispatcher:
        forged = dispatcher.post(f"/console/transcribe/{case.number}", data={"transcript": "假的"})
        assert forged.status_code == 403
    row = case_row(engine, case.number)
    assert row.awaiting_transcript and row.description == PLACEHOLDER
    assert not re.search("transcribed", " ".join(e.kind for e in events(engine, case.number)))
