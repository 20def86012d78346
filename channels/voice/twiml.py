"""TwiML documents of the IVR, built with the twilio SDK (never by string concatenation)."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

from channels.voice import tokens
from channels.voice.survey import SurveyStep
from channels.voice.texts import VOICES, prompt
from core.settings import Settings
from models.enums import Language


def webhook(settings: Settings, path: str, **query: str) -> str:
    """The public URL of one of our webhooks (what Twilio calls and signs)."""
    url = settings.public_base_url.rstrip("/") + "/twilio/voice" + path
    return url + ("?" + urlencode(query) if query else "")


def say(target: VoiceResponse | Gather, text: str, language: Language) -> None:
    voice, code = VOICES[language]
    target.say(text, voice=voice, language=code)


def greeting(settings: Settings, language: Language) -> VoiceResponse:
    return main_menu(settings, language, prompt("welcome", language))


def main_menu(settings: Settings, language: Language, preface: str = "") -> VoiceResponse:
    """The menu (after `preface`); staying on the line means describing a problem."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf", num_digits=1, timeout=3, action=webhook(settings, "/menu", lang=language)
    )
    if preface:
        say(gather, preface, language)
    say(gather, prompt("menu", language), language)
    other = Language.en if language is Language.zh else Language.zh
    say(gather, prompt("english" if other is Language.en else "chinese", other), other)
    response.append(gather)
    response.redirect(webhook(settings, "/describe", lang=language))
    return response


def listen(settings: Settings, language: Language, stream_url: str, call_sid: str) -> VoiceResponse:
    """Describe the problem: the audio goes to our websocket until we hear the end of speech."""
    response = VoiceResponse()
    say(response, prompt("describe", language), language)
    connect = Connect(action=webhook(settings, "/heard", lang=language))
    _stream(connect, settings, stream_url, call_sid, language, "intake")
    response.append(connect)
    return response


def _stream(
    connect: Connect,
    settings: Settings,
    stream_url: str,
    call_sid: str,
    language: Language,
    purpose: str,
) -> None:
    """The `<Stream>` with what `/twilio/media` needs, the call's stream token included."""
    stream = connect.stream(url=stream_url)
    stream.parameter(name="language", value=language.value)
    stream.parameter(name="purpose", value=purpose)
    stream.parameter(name=tokens.PARAMETER, value=tokens.issue(settings, call_sid, purpose))


def record(settings: Settings, language: Language) -> VoiceResponse:
    """The fallback: a recording, transcribed (or listened to) after the call."""
    response = VoiceResponse()
    say(response, prompt("record", language), language)
    response.record(
        action=webhook(settings, "/recorded", lang=language),
        recording_status_callback=webhook(settings, "/recording", lang=language),
        recording_status_callback_event="completed",
        max_length=settings.voice_max_recording_s,
        finish_on_key="#",
        play_beep=True,
        timeout=5,
    )
    return response


def read_back(settings: Settings, language: Language, transcript: str) -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(
        input="dtmf", num_digits=1, timeout=8, action=webhook(settings, "/confirm", lang=language)
    )
    say(gather, prompt("read_back", language, text=transcript), language)
    response.append(gather)
    response.redirect(webhook(settings, "/heard", lang=language))
    return response


def ask_case_number(settings: Settings, language: Language, preface: str = "") -> VoiceResponse:
    """Key a case number (menu 3 reads the caller's own cases first); nothing: the menu."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        finish_on_key="#",
        timeout=8,
        action=webhook(settings, "/status", lang=language),
    )
    if preface:
        say(gather, preface, language)
    say(gather, prompt("ask_number", language), language)
    response.append(gather)
    response.redirect(webhook(settings, "/main", lang=language))
    return response


def speak_and_hang_up(text: str, language: Language) -> VoiceResponse:
    response = VoiceResponse()
    say(response, text, language)
    response.hangup()
    return response


def transfer(settings: Settings, language: Language) -> VoiceResponse:
    """0: the operator; when there is none, a message instead (the voicemail path)."""
    response = VoiceResponse()
    if not settings.voice_operator_number:
        gather = Gather(
            input="dtmf",
            num_digits=1,
            timeout=5,
            action=webhook(settings, "/leave-message", lang=language),
        )
        say(gather, prompt("no_operator", language), language)
        response.append(gather)
        response.redirect(webhook(settings, "/leave-message", lang=language))
        return response
    say(response, prompt("operator", language), language)
    response.dial(settings.voice_operator_number, caller_id=settings.twilio_phone_number or None)
    return response


def ask_withdraw(settings: Settings, language: Language, number: str, text: str) -> VoiceResponse:
    """4: confirm the withdrawal of `number` by key; nothing pressed keeps the case."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=1,
        timeout=8,
        action=webhook(settings, "/withdraw", case=number, lang=language),
    )
    say(gather, text, language)
    response.append(gather)
    response.redirect(webhook(settings, "/main", lang=language))
    return response


def survey_question(
    settings: Settings,
    language: Language,
    case_number: str,
    step: SurveyStep,
    said: list[str],
) -> VoiceResponse:
    """One question of the callback survey, one key; silence lets the citizen say the answer.

    The answers so far and the retries travel in the (signed) action URL, so any worker takes
    the next key. The survey is placed before Twilio names the call, so the stream (which needs
    a token for the CallSid) is handed out by the signed `/survey/listen` webhook.
    """
    response = VoiceResponse()
    query = step.query(case_number, language)
    gather = Gather(
        input="dtmf", num_digits=1, timeout=6, action=webhook(settings, "/survey", **query)
    )
    for text in said:
        say(gather, text, language)
    response.append(gather)
    response.redirect(webhook(settings, "/survey/listen", **query))
    return response


def survey_listen(
    settings: Settings,
    language: Language,
    case_number: str,
    step: SurveyStep,
    stream_url: str,
    call_sid: str,
) -> VoiceResponse:
    """The answer in words: the call's audio to our websocket, then `/survey/heard`."""
    response = VoiceResponse()
    say(response, prompt("survey_say", language), language)
    query = step.query(case_number, language)
    connect = Connect(action=webhook(settings, "/survey/heard", **query))
    _stream(connect, settings, stream_url, call_sid, language, "survey")
    response.append(connect)
    return response
