"""Twilio voice webhooks: the IVR from greeting to case number, status, operator, survey.

Every request is signed by Twilio (`SignedForm`, 403 otherwise). Between webhooks the call's
state is in the database (`channels/voice/store.py`), so any API worker can take any step.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import APIRouter, HTTPException, Query, Request, Response
from temporalio.client import Client
from twilio.twiml.voice_response import VoiceResponse

from api.deps import EngineDep, SettingsDep, get_temporal
from channels.messages import render
from channels.survey_replies import SurveyReply, parse_survey_keys, parse_survey_reply
from channels.twilio.signature import SignedForm
from channels.voice import twiml
from channels.voice.cases import file_case
from channels.voice.media import CALL_SID, StreamState, recognition_language, stream_url
from channels.voice.recordings import RecordingRefused, download_recording
from channels.voice.store import get_call, update_call
from channels.voice.texts import prompt, spoken_digits, status_name
from channels.voice.voicemail import notifiers_of, text_case_number
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.contacts import normalise_phone
from intake.errors import IntakeRejected
from intake.followups import answer_survey, case_status
from intake.owners import ProvedContact
from models.enums import IdentityKind, Language
from models.service import CaseNotFound
from speech.audio import AudioError
from speech.recognizer import speech_executor
from speech.registry import ModelMissing, shared_registry
from speech.transcribe import transcribe_wav

router = APIRouter(prefix="/twilio/voice", tags=["voice"])
log = logging.getLogger("hotline.voice")
LangQuery = Annotated[Language, Query(alias="lang")]
MAX_DESCRIPTIONS = 2  # after this many silent attempts the caller leaves a recording instead
MAX_SPOKEN_REPLY = 1000  # characters of the unit's reply read out (TwiML <Say> takes 4096)


def _call_sid(form: dict[str, str]) -> str:
    """The call this webhook is about; it names files, so only Twilio's letters and digits."""
    call_sid = form.get("CallSid", "")
    if not CALL_SID.fullmatch(call_sid):
        raise HTTPException(400, "CallSid is missing or malformed")
    return call_sid


def _xml(response: VoiceResponse) -> Response:
    return Response(content=str(response), media_type="application/xml")


async def _temporal(request: Request) -> Client | None:
    try:
        return await get_temporal(request)
    except TemporalUnavailable:
        return None  # the case is still recorded; its workflow starts on the next intake


def _can_stream(settings: Settings, language: Language) -> bool:
    registry = shared_registry(settings)
    return settings.voice_streaming and registry.available(recognition_language(settings, language))


def _warm_up(settings: Settings, language: Language) -> None:
    """Start loading the line's model while the prompt plays, so the stream need not wait."""
    registry = shared_registry(settings)
    model_language = recognition_language(settings, language)
    if not registry.loaded(model_language):
        executor = speech_executor(settings.speech_threads)
        loading = asyncio.get_running_loop().run_in_executor(executor, registry.get, model_language)
        loading.add_done_callback(lambda done: done.exception())  # the stream reports failures


@router.post("")
async def incoming_call(form: SignedForm, settings: SettingsDep, engine: EngineDep) -> Response:
    """A call to the hotline: greet in Chinese and offer the English line."""
    await asyncio.to_thread(
        update_call, engine, _call_sid(form), from_number=form.get("From"), language="zh"
    )
    return _xml(twiml.greeting(settings, Language.zh))


@router.post("/menu")
async def menu(
    form: SignedForm, language: LangQuery, settings: SettingsDep, engine: EngineDep
) -> Response:
    """The caller's key: 2 English line, 3 case status, 0 operator, anything else: describe."""
    digit = form.get("Digits", "")
    if digit == "2" and language is Language.zh:
        await asyncio.to_thread(update_call, engine, _call_sid(form), language="en")
        return _xml(twiml.greeting(settings, Language.en))
    if digit == "3":
        return _xml(twiml.ask_case_number(settings, language))
    if digit == "0":
        return _xml(twiml.transfer(settings, language))
    return await describe(form, language, settings, engine)


@router.post("/describe")
async def describe(
    form: SignedForm, language: LangQuery, settings: SettingsDep, engine: EngineDep
) -> Response:
    """Listen over a media stream, or record when no model can listen in this language."""
    call_sid = _call_sid(form)
    if not _can_stream(settings, language):
        log.warning("call %s: no speech model for %s; recording instead", call_sid, language)
        return _xml(twiml.record(settings, language))
    _warm_up(settings, language)
    call = await asyncio.to_thread(get_call, engine, call_sid)
    attempts = (call.attempts if call else 0) + 1
    await asyncio.to_thread(update_call, engine, call_sid, attempts=attempts, transcript=None)
    return _xml(twiml.listen(settings, language, stream_url(settings), call_sid))


@router.post("/heard")
async def heard(
    form: SignedForm, language: LangQuery, settings: SettingsDep, engine: EngineDep
) -> Response:
    """After the stream: read the transcript back, or try again, or fall back to recording."""
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    if call is None or call.stream_state == StreamState.failed:
        return _xml(twiml.record(settings, language))
    if call.transcript:
        return _xml(twiml.read_back(settings, language, call.transcript))
    if call.attempts >= MAX_DESCRIPTIONS:
        return _xml(twiml.record(settings, language))
    response = VoiceResponse()
    twiml.say(response, prompt("not_heard", language), language)
    response.redirect(twiml.webhook(settings, "/describe", lang=language))
    return _xml(response)


@router.post("/confirm")
async def confirm(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
) -> Response:
    """1: file the case and say its number digit by digit; 2: describe again."""
    digit = form.get("Digits", "")
    if digit == "2":
        return await describe(form, language, settings, engine)
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    if digit != "1" or call is None or not call.transcript:
        return await heard(form, language, settings, engine)
    number = call.case_number or await file_case(
        engine=engine,
        settings=settings,
        temporal=await _temporal(request),
        call_sid=call.call_sid,
        language=language,
        from_number=call.from_number,
        transcript=call.transcript,
        audio_path=call.audio_path,
    )
    digits = spoken_digits(number, language)
    return _xml(twiml.speak_and_hang_up(prompt("accepted", language, digits=digits), language))


@router.post("/status")
async def status(
    form: SignedForm, language: LangQuery, settings: SettingsDep, engine: EngineDep
) -> Response:
    """A case's status by its number keyed in (14 digits, the dash left out); the unit's
    reply too when the calling number owns the case."""
    digits = re.sub(r"\D", "", form.get("Digits", ""))
    number = f"{digits[:8]}-{digits[8:]}" if len(digits) == 14 else ""
    caller = _caller(form, settings)
    try:
        view = (
            await asyncio.to_thread(lambda: case_status(engine, number, asker=caller))
            if number
            else None
        )
    except CaseNotFound:
        view = None
    if view is None:
        return _xml(twiml.ask_case_number(settings, language, prompt("unknown_case", language)))
    digits = spoken_digits(view.number, language)
    status = status_name(view.status, language)
    said = (
        prompt(
            "case_status_reply",
            language,
            digits=digits,
            status=status,
            reply=view.reply[:MAX_SPOKEN_REPLY],
        )
        if view.reply
        else prompt("case_status", language, digits=digits, status=status)
    )
    return _xml(twiml.speak_and_hang_up(said, language))


def _caller(form: dict[str, str], settings: Settings) -> ProvedContact | None:
    """The `From` of the signed webhook as a proved phone; None when withheld or not a number."""
    try:
        phone = normalise_phone(form.get("From", ""), default_region=settings.default_phone_region)
    except IntakeRejected:
        return None
    return ProvedContact(IdentityKind.phone, phone)


@router.post("/recorded")
async def recorded(form: SignedForm, language: LangQuery) -> Response:
    """The caller finished the message; the recording callback files the case."""
    return _xml(twiml.speak_and_hang_up(prompt("recorded", language), language))


@router.post("/recording", status_code=204)
async def recording_ready(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
) -> Response:
    """Twilio's recording callback: download, transcribe offline, file the case with the audio."""
    if form.get("RecordingStatus", "completed") != "completed" or not form.get("RecordingUrl"):
        return Response(status_code=204)
    call_sid = _call_sid(form)
    try:
        audio = await download_recording(settings, form["RecordingUrl"])
    except (httpx.HTTPError, RecordingRefused) as exc:
        # Twilio keeps the recording: the case is filed anyway, for a person to fetch it.
        log.error("call %s: recording not downloaded: %s", call_sid, exc)
        audio = b""
    transcript = ""
    try:
        if audio:
            transcript = await asyncio.to_thread(
                transcribe_wav,
                audio,
                registry=shared_registry(settings),
                language=recognition_language(settings, language),
            )
    except ModelMissing as exc:
        log.warning("call %s: recording kept for a person to transcribe: %s", call_sid, exc)
    except AudioError as exc:
        log.warning("call %s: the recording could not be decoded: %s", call_sid, exc)
    path = await asyncio.to_thread(_keep_recording, settings, call_sid, audio)
    call = await asyncio.to_thread(update_call, engine, call_sid, audio_path=path)
    number = await file_case(
        engine=engine,
        settings=settings,
        temporal=await _temporal(request),
        call_sid=call_sid,
        language=language,
        from_number=call.from_number or form.get("From"),
        transcript=transcript,
        audio_path=path,
    )
    # The caller was told "we will send you the case number": keep that promise.
    await text_case_number(
        engine=engine, notifiers=notifiers_of(request.app.state), call_sid=call_sid, number=number
    )
    return Response(status_code=204)


@router.post("/ended", status_code=204)
async def call_ended(
    request: Request, form: SignedForm, settings: SettingsDep, engine: EngineDep
) -> Response:
    """The number's call status callback: a caller who hung up before hearing a case number
    (after the read-back, or mid-speech) gets it by SMS; what was heard is filed first."""
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    if call is None or call.purpose != "intake" or form.get("CallStatus") != "completed":
        return Response(status_code=204)
    number = call.case_number
    if number is None and call.transcript:  # read back, never confirmed
        number = await file_case(
            engine=engine,
            settings=settings,
            temporal=await _temporal(request),
            call_sid=call.call_sid,
            language=Language(call.language),
            from_number=call.from_number,
            transcript=call.transcript,
            audio_path=call.audio_path,
        )
    elif number is None or call.stream_state == StreamState.heard:
        return Response(status_code=204)  # nothing filed yet (a recording on its way), or said
    await text_case_number(
        engine=engine,
        notifiers=notifiers_of(request.app.state),
        call_sid=call.call_sid,
        number=number,
    )
    return Response(status_code=204)


def _keep_recording(settings: Settings, call_sid: str, audio: bytes) -> Path | None:
    if not audio:
        return None
    path = settings.var_dir / "voice" / f"{call_sid}.recording.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio)
    return path


@router.post("/survey")
async def survey_keys(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    case: Annotated[str, Query(max_length=20)],
) -> Response:
    """The survey answered on the keypad ("112"); unclear keys are asked once more."""
    return await _answer(
        request, settings, language, case, form, parse_survey_keys(form.get("Digits", ""))
    )


@router.post("/survey/listen")
async def survey_in_words(
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: Annotated[str, Query(max_length=20)],
) -> Response:
    """No key pressed: hear the survey answer in words over a media stream for this call."""
    call_sid = _call_sid(form)
    await asyncio.to_thread(
        update_call,
        engine,
        call_sid,
        language=language.value,
        purpose="survey",
        survey_case_number=case,
        transcript=None,
    )
    return _xml(twiml.survey_listen(settings, language, case, stream_url(settings), call_sid))


@router.post("/survey/heard")
async def survey_heard(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: Annotated[str, Query(max_length=20)],
) -> Response:
    """The survey answered in words, transcribed by Vosk over the media stream."""
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    reply = parse_survey_reply(call.transcript or "") if call else None
    return await _answer(request, settings, language, case, form, reply)


async def _answer(
    request: Request,
    settings: Settings,
    language: Language,
    case: str,
    form: dict[str, str],
    reply: SurveyReply | None,
) -> Response:
    if reply is None:
        question = render("survey", language, {"number": case, "reply": ""})
        return _xml(twiml.survey_call(settings, language, case, question))
    client = await get_temporal(request)
    try:
        await answer_survey(
            client=client,
            number=case,
            answer_key=f"voice:{_call_sid(form)}",
            contacted=reply.contacted,
            resolved=reply.resolved,
            satisfaction=reply.satisfaction,
        )
    except CaseNotFound:
        log.warning("survey answer for %s, which no longer runs", case)
    return _xml(twiml.speak_and_hang_up(prompt("survey_thanks", language), language))
