"""One place builds every channel's notifier, for the worker's activities and the API alike."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from channels.email.notifier import EmailNotifier, email_configured
from channels.sms.notifier import SmsNotifier, sms_configured
from core.settings import Settings
from models.enums import Channel
from notices.port import Notifier, NotifierRegistry


def channel_notifiers(settings: Settings, engine: Engine) -> NotifierRegistry:
    """The notifier of each channel that is configured; the rest go to the log.

    E-mail has no channel of its own: an address is reached through `Channel.web`."""
    by_channel: dict[Channel, Notifier] = {}
    if sms_configured(settings):
        by_channel[Channel.sms] = SmsNotifier(settings=settings, engine=engine)
    if settings.telegram_bot_token:  # chat channel (Telegram)
        from channels.chat.notifier import TelegramNotifier

        by_channel[Channel.chat] = TelegramNotifier(settings)
    if sms_configured(settings):  # voice: the callback survey is a call, short notices texts
        from channels.voice.notifier import VoiceNotifier

        by_channel[Channel.voice] = VoiceNotifier(settings, texts=by_channel[Channel.sms])
    if email_configured(settings):  # e-mail addresses are reached through the web channel
        by_channel[Channel.web] = EmailNotifier(settings)
    return NotifierRegistry(by_channel=by_channel)
