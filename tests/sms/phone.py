"""A citizen's phone as Twilio presents it to the webhook: signed forms, all standard fields."""

from __future__ import annotations

import asyncio
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx

from channels.sms.segments import segment_info
from channels.twilio.signature import sign
from tests.utils.factories import unique_phone
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, FakeTwilio

PUBLIC = "https://hotline.example.gov.cn"
MESSAGING_SERVICE = "MG" + "1" * 32


def message_sid() -> str:
    return "SM" + uuid.uuid4().hex


def twilio_form(sender: str, body: str, sid: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS (no media), in its order."""
    return {
        "ToCountry": "CN",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "CN",
        "To": HOTLINE_NUMBER,
        "MessagingServiceSid": MESSAGING_SERVICE,
        "ToZip": "",
        "NumSegments": str(max(1, segment_info(body).segments)),
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def twiml_messages(xml: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(xml).iter("Message")]


@dataclass
class Phone:
    url: str  # where the API is served (Twilio signs the public URL)
    number: str = field(default_factory=unique_phone)

    async def post(self, body: str, sid: str | None = None) -> httpx.Response:
        form = twilio_form(self.number, body, sid or message_sid())
        signature = sign(f"{PUBLIC}/twilio/sms", form, AUTH_TOKEN)
        async with httpx.AsyncClient(timeout=60) as http:
            return await http.post(
                f"{self.url}/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
            )

    async def text(self, body: str, sid: str | None = None) -> str | None:
        """Send a text; the reply the webhook answered with, None for an empty TwiML answer."""
        response = await self.post(body, sid)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        replies = twiml_messages(response.text)
        assert len(replies) <= 1
        return replies[0] if replies else None


async def wait_for_sms(twilio: FakeTwilio, number: str, count: int = 1) -> list[dict[str, str]]:
    """The texts the hotline sent this number through Twilio, once there are `count` of them."""
    for _ in range(600):
        sent = twilio.messages_to(number)
        if len(sent) >= count:
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"{number} never received {count} text(s): {twilio.messages_to(number)}")
