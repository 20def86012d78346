"""The attacker's side: the SMS and Telegram channels served as in their own suites.

The fixtures are the channels' own (a local Twilio and Bot API server, a worker per channel),
so an attack here goes through exactly the webhooks a real attacker would reach.
"""

from tests.chat.conftest import chat_api, chat_settings, chat_worker, telegram, webhook
from tests.sms.conftest import sms_settings, sms_url, sms_worker, twilio

__all__ = [
    "chat_api",
    "chat_settings",
    "chat_worker",
    "sms_settings",
    "sms_url",
    "sms_worker",
    "telegram",
    "twilio",
    "webhook",
]
