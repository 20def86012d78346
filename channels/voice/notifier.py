"""The voice channel's `Notifier`: the callback survey as a phone call, other notices by SMS.

A survey is a call (`calls.create` with TwiML) asking one question at a time
(`channels/voice/survey.py`); each `<Gather>` posts the key, or a media stream (opened by the
signed `/survey/listen` webhook) carries the spoken answer, back to our signed webhooks;
short notices (accepted, resolved...) would be a poor phone call, so they go as a text from
the same number.
"""

from __future__ import annotations

import asyncio

from channels.twilio.rest import idempotent, twilio_client
from channels.voice import twiml
from channels.voice.survey import SurveyStep, survey_words
from core.settings import Settings
from notices.port import Notifier, OutboundMessage


class VoiceNotifier:
    """`texts` carries the short notices: the SMS channel's notifier, so a caller who texted
    STOP is not texted, and segments and delivery reports are handled in one place."""

    def __init__(self, settings: Settings, texts: Notifier | None = None) -> None:
        self.settings = settings
        self.client = twilio_client(settings)
        self.texts = texts

    async def send(self, message: OutboundMessage) -> str:
        if message.kind != "survey" and self.texts is not None:
            return await self.texts.send(message)
        with idempotent(message.idempotency_key):
            return await asyncio.to_thread(self._send, message)

    def _send(self, message: OutboundMessage) -> str:
        sender = self.settings.twilio_phone_number
        if message.kind == "survey":
            first, number = SurveyStep(), message.case_number
            said = survey_words(first, message.language, number, first=True)
            document = twiml.survey_question(self.settings, message.language, number, first, said)
            call = self.client.calls.create(to=message.address, from_=sender, twiml=str(document))
            return str(call.sid)
        sms = self.client.messages.create(to=message.address, from_=sender, body=message.text)
        return str(sms.sid)
