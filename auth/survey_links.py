"""The signed link of a callback survey: `/survey/{token}`, sent to the contact the case carries.

The token names the case, the survey round and a digest of the contact it was sent to (never the
contact itself: the token travels in URLs), and is signed with `HOTLINE_SECRET_KEY` with its
issue time (itsdangerous), so it expires after `HOTLINE_SURVEY_LINK_DAYS`. Answering checks the
case still carries that contact, so a link works only for the case and the person it went to.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer

from auth.tokens import TokenKind, sign
from core.settings import Settings

SURVEY_PATH = "/survey/"


@dataclass(frozen=True)
class SurveyLink:
    number: str
    round: int
    contact_digest: str


def contact_digest(settings: Settings, contact: str) -> str:
    key = settings.secret_key.encode()
    return hmac.new(key, f"survey-contact:{contact}".encode(), hashlib.sha256).hexdigest()[:16]


def survey_token(settings: Settings, number: str, round: int, contact: str) -> str:
    data = {"n": number, "r": str(round), "c": contact_digest(settings, contact)}
    return sign(settings.secret_key, TokenKind.survey, data)


def survey_url(settings: Settings, number: str, round: int, contact: str) -> str:
    token = survey_token(settings, number, round, contact)
    return f"{settings.public_base_url.rstrip('/')}{SURVEY_PATH}{token}"


@dataclass(frozen=True)
class ReadToken:
    """A token read: its link when good; for an expired one, the case only (to say so in the
    citizen's language); nothing for a forged one."""

    link: SurveyLink | None
    expired_number: str | None = None


def read_survey_token(settings: Settings, token: str) -> ReadToken:
    serializer = URLSafeTimedSerializer(settings.secret_key, salt=TokenKind.survey.value)
    try:
        data = serializer.loads(token, max_age=int(settings.survey_link_days * 86400))
    except SignatureExpired as exc:  # the signature is good, only old: the payload is ours
        try:  # the signer hands back the encoded payload
            payload = serializer.load_payload(exc.payload) if exc.payload else None
        except BadData:
            payload = None
        number = payload.get("n") if isinstance(payload, dict) else None
        return ReadToken(None, expired_number=str(number) if number else None)
    except BadSignature:
        return ReadToken(None)
    if not isinstance(data, dict):
        return ReadToken(None)
    number, round_, digest = (str(data.get(key, "")) for key in ("n", "r", "c"))
    if not number or not round_.isdigit() or not digest:
        return ReadToken(None)
    return ReadToken(SurveyLink(number=number, round=int(round_), contact_digest=digest))


def link_matches(settings: Settings, link: SurveyLink, contacts: list[str]) -> bool:
    """True when the link went to one of `contacts` (the ones the case carries now)."""
    return any(
        hmac.compare_digest(link.contact_digest, contact_digest(settings, c)) for c in contacts
    )
