"""Normalise contact identities so one person is recognised on every channel.

Phones become E.164 (a caller ID "+86 138 0013 8000" and an SMS sender "8613800138000" are one
number); emails are lower-cased; Telegram ids are the chat's integer id.
"""

from __future__ import annotations

import re

import phonenumbers

from core.i18n import N_
from intake.errors import IntakeRejected
from intake.schemas import Contact
from models.enums import IdentityKind

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(raw: str, *, default_region: str) -> str:
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise IntakeRejected("contact.phone", N_("'{raw}' is not a phone number"), raw=raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise IntakeRejected("contact.phone", N_("'{raw}' is not a valid phone number"), raw=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_identities(
    contact: Contact, *, default_region: str
) -> list[tuple[IdentityKind, str]]:
    """The identities a contact names, normalised; raises `IntakeRejected` on a malformed one."""
    identities: list[tuple[IdentityKind, str]] = []
    if contact.phone:
        identities.append(
            (IdentityKind.phone, normalise_phone(contact.phone, default_region=default_region))
        )
    if contact.telegram_chat_id:
        chat_id = contact.telegram_chat_id.strip()
        if not re.fullmatch(r"-?\d{1,20}", chat_id):
            raise IntakeRejected(
                "contact.telegram_chat_id",
                N_("'{chat_id}' is not a Telegram chat id"),
                chat_id=chat_id,
            )
        identities.append((IdentityKind.telegram, str(int(chat_id))))
    if contact.email:
        email = contact.email.strip().lower()
        if not _EMAIL.match(email):
            raise IntakeRejected(
                "contact.email", N_("'{email}' is not an email address"), email=contact.email
            )
        identities.append((IdentityKind.email, email))
    return identities
