"""Twilio's side of the wire: signed webhooks in, REST calls out to a server speaking its API."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from api.main import create_app
from channels.twilio.rest import TwilioNotConfigured, twilio_client
from channels.twilio.signature import SignedForm, sign
from core.settings import Settings
from tests.utils.servers import serve
from tests.utils.twilio_api import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, fake_twilio

PUBLIC = "https://hotline.example.gov.cn"


def _app(settings: Settings) -> FastAPI:
    app = create_app(
        settings.model_copy(update={"twilio_auth_token": AUTH_TOKEN, "public_base_url": PUBLIC})
    )

    @app.post("/twilio/echo")
    async def echo(form: SignedForm) -> dict[str, str]:
        return form

    return app


def test_signed_webhooks_pass_and_others_are_refused(settings: Settings) -> None:
    form = {"From": "+8613800138000", "Body": "路灯坏了", "MessageSid": "SM1"}
    with serve(_app(settings)) as url:
        # Behind a TLS proxy the app is reached on http://127.0.0.1, Twilio signed the public URL.
        good = sign(f"{PUBLIC}/twilio/echo?x=1", form, AUTH_TOKEN)
        ok = httpx.post(f"{url}/twilio/echo?x=1", data=form, headers={"X-Twilio-Signature": good})
        assert ok.status_code == 200 and ok.json() == form

        unsigned = httpx.post(f"{url}/twilio/echo?x=1", data=form)
        assert unsigned.status_code == 403
        tampered = httpx.post(
            f"{url}/twilio/echo?x=1",
            data={**form, "Body": "something else"},
            headers={"X-Twilio-Signature": good},
        )
        assert tampered.status_code == 403
        wrong_url = sign(f"{url}/twilio/echo?x=1", form, AUTH_TOKEN)  # the private address
        refused = httpx.post(
            f"{url}/twilio/echo?x=1", data=form, headers={"X-Twilio-Signature": wrong_url}
        )
        assert refused.status_code == 403


def test_the_rest_client_reaches_the_configured_base_url(settings: Settings) -> None:
    with fake_twilio() as twilio:
        client = twilio_client(
            settings.model_copy(
                update={
                    "twilio_account_sid": ACCOUNT_SID,
                    "twilio_auth_token": AUTH_TOKEN,
                    "twilio_api_base_url": twilio.url,
                }
            )
        )
        message = client.messages.create(to="+8613800138000", from_=HOTLINE_NUMBER, body="你好")
        assert message.sid.startswith("SM")
        call = client.calls.create(to="+8613800138000", from_=HOTLINE_NUMBER, twiml="<Response/>")
        assert call.sid.startswith("CA")
    assert twilio.messages_to("+8613800138000")[0]["Body"] == "你好"
    assert twilio.calls_to("+8613800138000")[0]["Twiml"] == "<Response/>"


def test_an_unconfigured_client_says_what_is_missing(settings: Settings) -> None:
    with pytest.raises(TwilioNotConfigured, match="HOTLINE_TWILIO_ACCOUNT_SID"):
        twilio_client(settings.model_copy(update={"twilio_account_sid": ""}))
