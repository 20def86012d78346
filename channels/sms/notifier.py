"""The SMS `Notifier`: case notices to citizens through Twilio's Messages API.

Twilio splits and concatenates long texts itself; we count the segments first (Chinese costs
70 characters a message, 67 per part), trim anything over `HOTLINE_SMS_MAX_SEGMENTS`, and record
what was sent. Each message asks Twilio to report delivery to `/twilio/sms/status`, with the case
and notice in the (signed) callback URL. A number that texted STOP is never messaged: the
notifier checks again right before sending, since STOP may arrive after the notice was queued.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from channels.sms import store
from channels.sms.segments import fit, segment_info
from channels.twilio.rest import idempotent, twilio_client
from core.redaction import mask_phone
from core.settings import Settings
from notices.port import OutboundMessage

log = logging.getLogger("hotline.sms")

STATUS_PATH = "/twilio/sms/status"
# Twilio's error for a recipient that replied STOP at the carrier/Twilio level.
UNSUBSCRIBED_RECIPIENT = 21610
OPTED_OUT = "sms-opted-out"


def sms_configured(settings: Settings) -> bool:
    return bool(
        settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_phone_number
    )


def status_callback_url(settings: Settings, case_number: str, kind: str) -> str:
    query = urlencode({"case": case_number, "kind": kind})
    return f"{settings.public_base_url.rstrip('/')}{STATUS_PATH}?{query}"


class SmsNotifier:
    def __init__(self, *, settings: Settings, engine: Engine, client: Client | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client or twilio_client(settings)

    async def send(self, message: OutboundMessage) -> str:
        """Twilio's MessageSid; a marker instead when the number opted out or cannot be reached.

        Errors Twilio will repeat (4xx: a bad or blocked number) are recorded and not retried;
        anything else (5xx, 429, the network) raises so the activity retries.
        """
        if await asyncio.to_thread(store.is_opted_out, self.engine, message.address):
            return OPTED_OUT
        body = fit(message.text, self.settings.sms_max_segments)
        info = segment_info(body)
        try:
            with idempotent(message.idempotency_key):
                sent = await asyncio.to_thread(
                    self.client.messages.create,
                    to=message.address,
                    from_=self.settings.twilio_phone_number,
                    body=body,
                    status_callback=status_callback_url(
                        self.settings, message.case_number, message.kind
                    ),
                )
        except TwilioRestException as exc:
            if exc.code == UNSUBSCRIBED_RECIPIENT:
                await asyncio.to_thread(store.set_opted_out, self.engine, message.address, True)
                return OPTED_OUT
            if exc.status == 429 or exc.status >= 500:
                raise
            to = mask_phone(message.address)
            log.warning("SMS to %s refused by Twilio: error %s (HTTP %s)", to, exc.code, exc.status)
            return f"sms-refused:{exc.code or exc.status}"
        outbound = store.Outbound(
            sid=str(sent.sid),
            phone=message.address,
            case_number=message.case_number,
            kind=message.kind,
            body=body,
            segments=info.segments,
            encoding=info.encoding,
            status=str(sent.status or "queued"),
        )
        try:
            await asyncio.to_thread(store.record_outbound, self.engine, outbound)
        except SQLAlchemyError:
            # Twilio has the message: raising now would have the activity send it again.
            log.exception(
                "SMS %s to %s sent but not recorded", outbound.sid, mask_phone(outbound.phone)
            )
        return outbound.sid
