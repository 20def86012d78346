"""Signed, expiring tokens: the console's session cookie and the staff API's bearer tokens.

Both are signed with `HOTLINE_SECRET_KEY` (itsdangerous, HMAC-SHA1 over a timestamped
payload) and carry only the username, the user's token version and (cookies) a CSRF secret.
The user row is read on every request and a token counts only while its version is the
user's `token_version`: logging out, a new password or deactivation bump it, which ends every
session and token issued before at once. A different salt per kind keeps a session cookie
from being replayed as a bearer token and the other way round.
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
    submitted = "case-submitted"  # the case numbers this browser has just filed (web form)
    survey = "survey-link"  # the callback survey's web link, sent to the case's contact


@dataclass(frozen=True)
class TokenOwner:
    """Whom a token names, and the user's token version when it was issued."""

    username: str
    version: int


@dataclass(frozen=True)
class SessionData:
    owner: TokenOwner
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


def new_session(secret_key: str, username: str, version: int) -> tuple[str, SessionData]:
    session = SessionData(owner=TokenOwner(username, version), csrf=secrets.token_urlsafe(24))
    payload = {"u": username, "v": str(version), "c": session.csrf}
    return sign(secret_key, TokenKind.session, payload), session


def read_session(secret_key: str, token: str, *, max_age_s: float) -> SessionData | None:
    data = unsign(secret_key, TokenKind.session, token, max_age_s=max_age_s)
    owner = _owner(data)
    if data is None or owner is None or not data.get("c"):
        return None
    return SessionData(owner=owner, csrf=data["c"])


def issue_api_token(secret_key: str, username: str, version: int) -> str:
    return sign(secret_key, TokenKind.api, {"u": username, "v": str(version)})


def read_api_token(secret_key: str, token: str, *, max_age_s: float) -> TokenOwner | None:
    return _owner(unsign(secret_key, TokenKind.api, token, max_age_s=max_age_s))


def _owner(data: dict[str, str] | None) -> TokenOwner | None:
    """A token from before versions (no "v") names nobody: its holder logs in again."""
    if not data or not data.get("u") or not data.get("v", "").isdigit():
        return None
    return TokenOwner(username=data["u"], version=int(data["v"]))


def same_secret(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
