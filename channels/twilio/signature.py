"""Refuse any webhook Twilio did not sign: the number is public, the endpoints are too.

Twilio signs the URL it called. Behind a TLS-terminating proxy the app sees `http://10.0.0.5/...`
while Twilio signed `https://hotline.example/...`, so the URL is rebuilt from the configured
public base URL and the request's path and query, never from the Host header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from twilio.request_validator import RequestValidator

from api.deps import get_app_settings
from core.settings import Settings


def public_url(settings: Settings, request: Request) -> str:
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return url


async def signed_form(
    request: Request, settings: Annotated[Settings, Depends(get_app_settings)]
) -> dict[str, str]:
    """The webhook's form fields, once its `X-Twilio-Signature` is proven; 403 otherwise."""
    signature = request.headers.get("X-Twilio-Signature", "")
    form = await request.form()
    params = {key: str(value) for key, value in form.multi_items()}
    if not settings.twilio_auth_token:
        raise HTTPException(403, "Twilio webhooks refused: HOTLINE_TWILIO_AUTH_TOKEN is not set")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(public_url(settings, request), params, signature):
        raise HTTPException(403, "invalid or missing X-Twilio-Signature")
    return params


def sign(url: str, params: dict[str, str], auth_token: str) -> str:
    """The signature Twilio would send for this URL and form (for tests and local tools)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


SignedForm = Annotated[dict[str, str], Depends(signed_form)]
