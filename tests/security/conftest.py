"""The attacker's targets, all real: the API over HTTP with its SMS, voice and Telegram
webhooks (signed as Twilio and Telegram sign them), the session's worker and Temporal."""

from __future__ import annotations

from tests.chat.conftest import chat_api, chat_settings, chat_worker, telegram, webhook
from tests.sms.conftest import sms_settings, sms_url, sms_worker, twilio
from tests.voice.conftest import voice_api, voice_settings

__all__ = [
    "chat_api",
    "chat_settings",
    "chat_worker",
    "sms_settings",
    "sms_url",
    "sms_worker",
    "telegram",
    "twilio",
    "voice_api",
    "voice_settings",
    "webhook",
]
