"""Stream tokens: a short-lived HMAC of a CallSid that lets exactly that call open a media stream.

Twilio signs the websocket handshake for the fixed `/twilio/media` URL only, so the signature
says nothing about which call a stream claims to be. The signed webhook that answers with
`<Connect><Stream>` therefore hands the stream a `<Parameter name="token">` binding the call,
the stream's purpose and an expiry; Twilio sends it back in the `start` message's
`customParameters`, and the media socket refuses a `start` without a valid, unexpired one.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from core.settings import Settings

PARAMETER = "token"
_DOMAIN = b"hotline voice stream token\x00"


def issue(settings: Settings, call_sid: str, purpose: str, *, now: float | None = None) -> str:
    """`<expiry>.<hmac>`: good for `HOTLINE_VOICE_STREAM_TOKEN_S` seconds from `now`."""
    expires = int(time.time() if now is None else now) + settings.voice_stream_token_s
    return f"{expires}.{_mac(settings, call_sid, purpose, expires)}"


def verify(settings: Settings, token: object, call_sid: str, purpose: str) -> bool:
    """True when `token` was issued by us for this call and purpose and has not expired."""
    if not isinstance(token, str) or len(token) > 100:
        return False
    expires_text, _, mac = token.partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    if expires < time.time():
        return False
    return hmac.compare_digest(mac, _mac(settings, call_sid, purpose, expires))


def _mac(settings: Settings, call_sid: str, purpose: str, expires: int) -> str:
    key = hashlib.sha256(_DOMAIN + settings.secret_key.encode()).digest()
    message = f"{call_sid}\x00{purpose}\x00{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
