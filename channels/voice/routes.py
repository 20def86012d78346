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
from sqlalchemy.engine import Engine
from temporalio.client import Client
from twilio.twiml.voice_response import VoiceResponse

from api.deps import EngineDep, SettingsDep, get_engine_dep, get_temporal
from channels.survey_replies import parse_one_answer
from channels.twilio.signature import SignedForm
from channels.voice import twiml
from channels.voice.caller import caller_language, choose_language, proved_caller
from channels.voice.cases import file_case
from channels.voice.details import Added, add_to_open_case, ask_details_or_new, the_one_open_case
from channels.voice.media import CALL_SID, StreamState, recognition_language, stream_url
from channels.voice.menus import confirm_withdrawal, my_cases, offer_withdrawal, status_said
from channels.voice.recordings import RecordingRefused, download_recording
from channels.voice.store import CallState, get_call, update_call
from channels.voice.survey import QUESTIONS, RETRIES, SurveyStep, survey_by_sms, survey_words
from channels.voice.texts import prompt, spoken_digits
from channels.voice.voicemail import notifiers_of, text_case_number
from core.settings import Settings
from core.temporal import TemporalUnavailable
from intake.followups import answer_survey, case_status
from models.enums import Language
from models.service import CaseNotFound
from speech.audio import AudioError
from speech.recognizer import speech_executor
from speech.registry import ModelMissing, shared_registry
from speech.transcribe import transcribe_wav

router = APIRouter(prefix="/twilio/voice", tags=["voice"])
log = logging.getLogger("hotline.voice")
LangQuery = Annotated[Language, Query(alias="lang")]
MAX_DESCRIPTIONS = 2  # after this many silent attempts the caller leaves a recording instead


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
    """A call to the hotline: greet in the caller's language (Chinese unless their citizen chose
    English on any channel) and offer the other one."""
    caller = proved_caller(form, settings)
    language = await asyncio.to_thread(caller_language, engine, caller) or Language.zh
    await asyncio.to_thread(
        update_call, engine, _call_sid(form), from_number=form.get("From"), language=language.value
    )
    return _xml(twiml.greeting(settings, language))


@router.post("/menu")
async def menu(
    form: SignedForm, language: LangQuery, settings: SettingsDep, engine: EngineDep
) -> Response:
    """The caller's key: 2 the other language, 3 my cases, 4 withdraw, 0 operator, else:
    describe."""
    digit, caller = form.get("Digits", ""), proved_caller(form, settings)
    if digit == "2":
        other = Language.en if language is Language.zh else Language.zh
        await asyncio.to_thread(choose_language, engine, caller, other)
        await asyncio.to_thread(update_call, engine, _call_sid(form), language=other.value)
        return _xml(twiml.greeting(settings, other))
    if digit == "3":
        return _xml(await asyncio.to_thread(my_cases, engine, settings, language, caller))
    if digit == "4":
        return _xml(await asyncio.to_thread(offer_withdrawal, engine, settings, language, caller))
    if digit == "0":
        return _xml(twiml.transfer(settings, language))
    return await describe(form, language, settings, engine)


@router.post("/main")
async def main_menu(form: SignedForm, language: LangQuery, settings: SettingsDep) -> Response:
    """Back to the main menu (after a status, a withdrawal, or nothing keyed)."""
    return _xml(twiml.main_menu(settings, language))


@router.post("/leave-message")
async def leave_message(form: SignedForm, language: LangQuery, settings: SettingsDep) -> Response:
    """0 with no operator: star goes back to the menu, anything else leaves a message."""
    if form.get("Digits") == "*":
        return _xml(twiml.main_menu(settings, language))
    return _xml(twiml.record(settings, language))


@router.post("/withdraw")
async def withdraw(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: Annotated[str, Query(max_length=20)],
) -> Response:
    """4, confirmed: 1 withdraws the caller's case, only when the calling number owns it."""
    response = await confirm_withdrawal(
        client=await _temporal(request),
        engine=engine,
        settings=settings,
        language=language,
        caller=proved_caller(form, settings),
        number=case,
        digit=form.get("Digits", ""),
    )
    return _xml(response)


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
    if call.case_number is None:
        caller = proved_caller(form, settings)
        open_case = await asyncio.to_thread(the_one_open_case, engine, caller)
        if open_case is not None:
            return _xml(ask_details_or_new(settings, language, open_case))
    return await _file_and_tell(request, call, language, settings, engine)


@router.post("/details")
async def details(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: Annotated[str, Query(max_length=20)],
) -> Response:
    """After "add it to your open case?": 1 adds what was said to that case (only while it is
    the calling number's one open case); 2 or nothing pressed files a new case."""
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    if call is None or not call.transcript:
        return await heard(form, language, settings, engine)
    if call.case_number is None and form.get("Digits") == "1":
        added = await add_to_open_case(
            client=await _temporal(request),
            engine=engine,
            caller=proved_caller(form, settings),
            number=case,
            transcript=call.transcript,
            call_sid=call.call_sid,
        )
        if added is Added.added:
            said = prompt("details_added", language, digits=spoken_digits(case, language))
            return _xml(twiml.speak_and_hang_up(said, language))
        if added is Added.busy:
            return _xml(twiml.main_menu(settings, language, prompt("busy", language)))
    return await _file_and_tell(request, call, language, settings, engine)


async def _file_and_tell(
    request: Request, call: CallState, language: Language, settings: Settings, engine: Engine
) -> Response:
    """File the call's case (once per CallSid) and say its number digit by digit."""
    assert call.transcript
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
    reply too when the calling number owns the case. Then the main menu again."""
    digits = re.sub(r"\D", "", form.get("Digits", ""))
    if not digits:
        return _xml(twiml.main_menu(settings, language))
    number = f"{digits[:8]}-{digits[8:]}" if len(digits) == 14 else ""
    caller = proved_caller(form, settings)
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
    return _xml(twiml.main_menu(settings, language, status_said(view, language)))


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


SurveyCase = Annotated[str, Query(alias="case", max_length=20)]
SurveyAnswers = Annotated[str, Query(alias="answers", pattern=r"^[1-3]{0,3}$")]
SurveyRetries = Annotated[int, Query(alias="retries", ge=0, le=RETRIES)]


@router.post("/survey")
async def survey_keys(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: SurveyCase,
    answers: SurveyAnswers = "",
    retries: SurveyRetries = 0,
) -> Response:
    """One survey question answered on the keypad; a key that is not an answer asks it again."""
    step = SurveyStep(answers, retries)
    taken = step.take(form.get("Digits", ""))
    return await _survey_next(request, settings, engine, language, case, form, step, taken)


@router.post("/survey/listen")
async def survey_in_words(
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: SurveyCase,
    answers: SurveyAnswers = "",
    retries: SurveyRetries = 0,
) -> Response:
    """No key pressed: hear this question's answer in words over a media stream."""
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
    step = SurveyStep(answers, retries)
    return _xml(twiml.survey_listen(settings, language, case, step, stream_url(settings), call_sid))


@router.post("/survey/heard")
async def survey_heard(
    request: Request,
    form: SignedForm,
    language: LangQuery,
    settings: SettingsDep,
    engine: EngineDep,
    case: SurveyCase,
    answers: SurveyAnswers = "",
    retries: SurveyRetries = 0,
) -> Response:
    """This question answered in words, transcribed by Vosk over the media stream."""
    step = SurveyStep(answers, retries)
    call = await asyncio.to_thread(get_call, engine, _call_sid(form))
    said = (call.transcript or "") if call else ""
    taken = None
    if not step.done:
        satisfaction = QUESTIONS[step.question] == "survey_satisfied"
        key = parse_one_answer(said, satisfaction=satisfaction)
        taken = step.take(key) if key else None
    return await _survey_next(request, settings, engine, language, case, form, step, taken)


async def _survey_next(
    request: Request,
    settings: Settings,
    engine: Engine,
    language: Language,
    case: str,
    form: dict[str, str],
    step: SurveyStep,
    taken: SurveyStep | None,
) -> Response:
    """The next question, the same one again, or the end: thanks, or the questions by SMS."""
    if taken is None:
        again = step.retry()
        if again is None:
            await survey_by_sms(settings, engine, language, case)
            return _xml(twiml.speak_and_hang_up(prompt("survey_by_sms", language), language))
        said = survey_words(again, language, case)
        return _xml(twiml.survey_question(settings, language, case, again, said))
    reply = taken.reply()
    if reply is None:
        said = survey_words(taken, language, case)
        return _xml(twiml.survey_question(settings, language, case, taken, said))
    try:
        await answer_survey(
            client=await get_temporal(request),
            engine=get_engine_dep(request),
            number=case,
            answer_key=f"voice:{_call_sid(form)}",
            contacted=reply.contacted,
            resolved=reply.resolved,
            satisfaction=reply.satisfaction,
        )
    except CaseNotFound:
        log.warning("survey answer for %s, which no longer runs", case)
    return _xml(twiml.speak_and_hang_up(prompt("survey_thanks", language), language))
