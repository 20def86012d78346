"""TwiML documents of the IVR, built with the twilio SDK (never by string concatenation)."""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

from channels.voice import tokens
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
    response = VoiceResponse()
    gather = Gather(
        input="dtmf", num_digits=1, timeout=3, action=webhook(settings, "/menu", lang=language)
    )
    say(gather, prompt("greeting", language), language)
    if language is Language.zh:
        say(gather, prompt("english", Language.en), Language.en)
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
    response = VoiceResponse()
    if preface:
        say(response, preface, language)
    gather = Gather(
        input="dtmf",
        finish_on_key="#",
        timeout=10,
        action=webhook(settings, "/status", lang=language),
    )
    say(gather, prompt("ask_number", language), language)
    response.append(gather)
    say(response, prompt("goodbye", language), language)
    return response


def speak_and_hang_up(text: str, language: Language) -> VoiceResponse:
    response = VoiceResponse()
    say(response, text, language)
    response.hangup()
    return response


def transfer(settings: Settings, language: Language) -> VoiceResponse:
    response = VoiceResponse()
    if not settings.voice_operator_number:
        say(response, prompt("no_operator", language), language)
        response.redirect(webhook(settings, "/describe", lang=language))
        return response
    say(response, prompt("operator", language), language)
    response.dial(settings.voice_operator_number, caller_id=settings.twilio_phone_number or None)
    return response


def survey_call(
    settings: Settings, language: Language, case_number: str, question: str
) -> VoiceResponse:
    """The callback survey: keys first; silence lets the citizen answer in words (Vosk).

    The survey is placed before Twilio names the call, so the stream (which needs a token for
    the CallSid) is handed out by the signed `/survey/listen` webhook the silence redirects to.
    """
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=3,
        timeout=8,
        action=webhook(settings, "/survey", case=case_number, lang=language),
    )
    say(gather, question, language)
    say(gather, prompt("survey_keys", language), language)
    response.append(gather)
    response.redirect(webhook(settings, "/survey/listen", case=case_number, lang=language))
    return response


def survey_listen(
    settings: Settings, language: Language, case_number: str, stream_url: str, call_sid: str
) -> VoiceResponse:
    """The survey answered in words: the call's audio to our websocket, then `/survey/heard`."""
    response = VoiceResponse()
    connect = Connect(action=webhook(settings, "/survey/heard", case=case_number, lang=language))
    _stream(connect, settings, stream_url, call_sid, language, "survey")
    response.append(connect)
    return response
