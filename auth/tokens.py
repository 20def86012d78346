"""Signed, expiring tokens: the console's session cookie and the staff API's bearer tokens.

Both are signed with `HOTLINE_SECRET_KEY` (itsdangerous, HMAC-SHA1 over a timestamped
payload) and carry only the username and a CSRF secret; the user row is read on every
request, so deactivating a user ends their sessions and tokens at once. A different salt per
kind keeps a session cookie from being replayed as a bearer token and the other way round.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer


class TokenKind(StrEnum):
    session = "console-session"
    api = "api-token"
    form = "anonymous-form"  # CSRF secret for forms shown before login (login, public intake)
    details = "case-details"  # proof that a citizen entered the one-time code for a case


@dataclass(frozen=True)
class SessionData:
    username: str
    csrf: str


def _serializer(secret_key: str, kind: TokenKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=kind.value)


def sign(secret_key: str, kind: TokenKind, data: dict[str, str]) -> str:
    return _serializer(secret_key, kind).dumps(data)


def unsign(
    secret_key: str, kind: TokenKind, token: str, *, max_age_s: float
) -> dict[str, str] | None:
    """The payload, or None when the token is forged, of another kind or older than max_age."""
    try:
        data = _serializer(secret_key, kind).loads(token, max_age=int(max_age_s))
    except BadSignature:  # also SignatureExpired, a subclass
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items()}


def new_session(secret_key: str, username: str) -> tuple[str, SessionData]:
    session = SessionData(username=username, csrf=secrets.token_urlsafe(24))
    return sign(secret_key, TokenKind.session, {"u": username, "c": session.csrf}), session


def read_session(secret_key: str, token: str, *, max_age_s: float) -> SessionData | None:
    data = unsign(secret_key, TokenKind.session, token, max_age_s=max_age_s)
    if data is None or not data.get("u") or not data.get("c"):
        return None
    return SessionData(username=data["u"], csrf=data["c"])


def issue_api_token(secret_key: str, username: str) -> str:
    return sign(secret_key, TokenKind.api, {"u": username})


def read_api_token(secret_key: str, token: str, *, max_age_s: float) -> str | None:
    data = unsign(secret_key, TokenKind.api, token, max_age_s=max_age_s)
    return data.get("u") or None if data else None


def same_secret(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
